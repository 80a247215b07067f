/**
 * The `http-frameworks` scenario (run when named): would a framework cost the receiver throughput?
 * The same route — `POST /a/:domain/receiver`, body read whole, a small XML answer — served by
 * Tributary's node:http server core (server/http) and by Fastify 5, each in a process of its own
 * (http-frameworks-child.ts), loaded in turns by this process over keep-alive connections at
 * concurrency 32 with bodies of the demo forms' size (~4 KB). Figures: requests/s, the server's
 * CPU seconds per 100,000 requests, and latency percentiles; the ratios are Fastify / core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { readProcessUsage } from './process-usage.js';
import type { Figure, Ratio, ScenarioResult } from './scenario-result.js';
import { figure, percentile, ratioOf, round3 } from './spread.js';

const servers = ['core', 'fastify'] as const;
type ServerKind = (typeof servers)[number];
const concurrency = 32;

interface Server {
  proc: ChildProcess;
  port: number;
}

async function startServer(kind: ServerKind): Promise<Server> {
  const proc = spawn(
    process.execPath,
    [fileURLToPath(new URL('./http-frameworks-child.js', import.meta.url)), kind],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout.setEncoding('utf8').once('data', (line: string) => resolve(Number(line.trim())));
    proc.once('exit', (code) => reject(new Error(`the ${kind} server exited with ${code}`)));
  });
  return { proc, port };
}

function post(agent: Agent, port: number, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/a/bench-domain/receiver',
        headers: { 'content-type': 'text/xml', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 201 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `count` requests at `concurrency`; requests/s, latencies, and the server's CPU seconds meanwhile. */
async function load(server: Server, count: number, body: Buffer) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = (await readProcessUsage(server.proc.pid!))?.cpuSeconds ?? 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const t0 = performance.now();
        await post(agent, server.port, body);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = ((await readProcessUsage(server.proc.pid!))?.cpuSeconds ?? 0) - cpuBefore;
  agent.destroy();
  return { perSecond: count / seconds, cpuPer100k: (cpuSeconds * 100_000) / count, latencies };
}

export async function httpFrameworksScenario(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<ScenarioResult> {
  const started = performance.now();
  const count = Number(process.env.BENCH_HTTP_REQUESTS ?? (options.quick ? 5_000 : 20_000));
  const rounds = options.quick ? 3 : 5;
  const body = Buffer.from(`<data xmlns="http://bench">${'<q>answer</q>'.repeat(300)}</data>`);
  const running = await Promise.all(servers.map(startServer));
  const rate: Record<ServerKind, number[]> = { core: [], fastify: [] };
  const cpu: Record<ServerKind, number[]> = { core: [], fastify: [] };
  const latencies: Record<ServerKind, number[]> = { core: [], fastify: [] };
  try {
    // A warm-up of each, then rounds in turns (order alternating).
    for (const server of running) await load(server, 1_000, body);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? [1, 0] : [0, 1];
      for (const i of order) {
        const kind = servers[i]!;
        const result = await load(running[i]!, count, body);
        rate[kind].push(result.perSecond);
        cpu[kind].push(result.cpuPer100k);
        latencies[kind].push(...result.latencies);
      }
      options.log(
        `http-frameworks: round ${round + 1}/${rounds}: ` +
          servers.map((k) => `${k} ${Math.round(rate[k].at(-1)!)} requests/s`).join(', '),
      );
    }
  } finally {
    for (const server of running) server.proc.kill('SIGTERM');
  }
  const figures: Record<string, Figure> = {};
  for (const kind of servers) {
    figures[`${kind}.requestsPerSecond`] = figure(rate[kind], 'requests/s');
    figures[`${kind}.cpuSecondsPer100k`] = figure(cpu[kind], 'CPU s/100k');
    for (const p of [50, 99]) figures[`${kind}.p${p}Ms`] = figure([percentile(latencies[kind], p)], 'ms');
  }
  const ratios: Record<string, Ratio> = {
    fastifyToCore: ratioOf(rate.fastify, rate.core, 'fastify.requestsPerSecond', 'core.requestsPerSecond'),
    fastifyCpuToCore: ratioOf(cpu.fastify, cpu.core, 'fastify.cpuSecondsPer100k', 'core.cpuSecondsPer100k'),
  };
  return {
    scenario: 'http-frameworks',
    figures,
    ratios,
    headline: ['core.requestsPerSecond', 'fastify.requestsPerSecond'],
    peakRssMiB: {},
    cpuSecondsPer100k: { core: figure(cpu.core, '').median, fastify: figure(cpu.fastify, '').median },
    seconds: round3((performance.now() - started) / 1000),
    setup: { requestsPerRound: count, rounds, concurrency, bodyBytes: body.length },
  };
}
