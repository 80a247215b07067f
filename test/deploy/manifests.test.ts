/**
 * The Kubernetes manifests, offline: every object of each rendered overlay validates against the
 * real API schemas (Kubernetes' OpenAPI, KEDA's CRDs), and what the containers run matches what the
 * CLI serves and reads — commands and options, ports, probe paths, environment variables, the
 * pipeline files in their ConfigMaps, grace periods above the drain bound, the KEDA triggers'
 * groups, topics and partitions, and resources against the benchmark's measured memory.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry as MetricsRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { commands } from '../../cli/commands/index.js';
import { parseCommandArgs, resolveCommand } from '../../cli/command.js';
import { registry } from '../../cli/registry.js';
import { taskSettings } from '../../cli/commands/worker.js';
import { declaredTopics } from '../../cli/topics.js';
import { endpointVariables, readEndpoints } from '../../connectors/endpoints.js';
import { loadPipelineFile, loadPipelineText, type PipelinePlan } from '../../runtime/config/index.js';
import { startTelemetryServer } from '../../runtime/telemetry/http-server.js';
import { KubeSchemas, type KubeObject } from './openapi-validator.js';
import { deployTools, render, renderWithComponents } from './render.js';

interface Container {
  name: string;
  args: string[];
  ports?: { name: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { secretRef?: { name: string } }[];
  livenessProbe?: { httpGet: { path: string; port: string | number } };
  readinessProbe?: { httpGet: { path: string; port: string | number } };
  startupProbe?: { httpGet: { path: string; port: string | number } };
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  resources: { requests: { memory: string }; limits: { memory: string } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  terminationGracePeriodSeconds: number;
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string } }[];
}
type Deployment = KubeObject & { spec: { template: { spec: PodSpec } } };
type ScaledObject = KubeObject & {
  spec: {
    scaleTargetRef: { name: string };
    maxReplicaCount: number;
    triggers: { type: string; metadata: Record<string, string> }[];
  };
};

const tools = deployTools();
const schemas = new KubeSchemas(tools.openapi, tools.keda);
const overlays = {
  local: render(tools, 'deploy/k8s/overlays/local'),
  production: render(tools, 'deploy/k8s/overlays/production'),
};
const ofKind = <T extends KubeObject>(objects: KubeObject[], kind: string) =>
  objects.filter((o) => o.kind === kind) as T[];

/** Every shipped pipeline, by the path its ConfigMap key stands for. */
const shippedPlans = new Map<string, PipelinePlan>();
for (const file of readdirSync('pipelines/examples').filter((f) => /(?<!\.test)\.yaml$/.test(f))) {
  const loaded = await loadPipelineFile(join('pipelines/examples', file), registry, {});
  if (!loaded.ok) throw new Error(`${file} does not load`);
  shippedPlans.set(file, loaded.plan);
}

/** Environment variables the code reads: the endpoints, and every process.env.NAME in the sources. */
function variablesTheCodeReads(): Set<string> {
  const names = new Set(endpointVariables.map((v) => v.name));
  for (const room of ['cli', 'runtime', 'connectors', 'server', 'processors']) {
    for (const file of readdirSync(room, { recursive: true }).map(String)) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      for (const m of readFileSync(join(room, file), 'utf8').matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g))
        names.add(m[1]!);
    }
  }
  return names;
}
const codeVariables = variablesTheCodeReads();

/** Literal env of a container: its `value`s, and the keys of a Secret the overlay generates. */
function environmentOf(container: Container, objects: KubeObject[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const secret: (KubeObject & { data?: Record<string, string> }) | undefined = objects.find(
      (o) => o.kind === 'Secret' && o.metadata.name === from.secretRef?.name,
    );
    for (const [key, value] of Object.entries(secret?.data ?? {}))
      env[key] = Buffer.from(value, 'base64').toString();
  }
  for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  return env;
}

/** The pipeline files a container's command runs, read from the ConfigMaps mounted where the arguments point. */
function pipelinesOf(
  deployment: Deployment,
  positionals: string[],
  objects: KubeObject[],
): { key: string; text: string }[] {
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;
  return positionals.map((path) => {
    const mount = container.volumeMounts?.find((m) => path.startsWith(`${m.mountPath}/`));
    const volume = pod.volumes?.find((v) => v.name === mount?.name);
    const configMap = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === volume?.configMap?.name,
    ) as (KubeObject & { data: Record<string, string> }) | undefined;
    const key = path.slice((mount?.mountPath.length ?? 0) + 1);
    const text = configMap?.data[key];
    if (text === undefined)
      throw new Error(`${deployment.metadata.name}: ${path} is in no mounted ConfigMap`);
    return { key, text };
  });
}

describe.each(Object.entries(overlays))('the %s overlay', (overlay, objects) => {
  it('validates every object against the Kubernetes and KEDA schemas', () => {
    expect(objects.length).toBeGreaterThan(10);
    expect(objects.flatMap((o) => schemas.validate(o))).toEqual([]);
  });

  it('runs commands the CLI has, with options it accepts, on pipeline files that load', () => {
    for (const deployment of ofKind<Deployment>(objects, 'Deployment')) {
      const container = deployment.spec.template.spec.containers[0]!;
      const resolved = resolveCommand(commands, container.args);
      expect(resolved.kind, `${deployment.metadata.name}: ${container.args.join(' ')}`).toBe('command');
      if (resolved.kind !== 'command') continue;
      const { values, positionals } = parseCommandArgs(resolved.command, resolved.args);
      expect(values.host, `${deployment.metadata.name} must listen beyond the pod's loopback`).toBe(
        '0.0.0.0',
      );
      const env = environmentOf(container, objects);
      for (const { key, text } of pipelinesOf(deployment, positionals, objects)) {
        expect(text, `${key} in the ConfigMap is the shipped file`).toBe(
          readFileSync(join('pipelines/examples', key), 'utf8'),
        );
        const loaded = loadPipelineText(text, key, registry, env);
        expect(loaded.ok ? [] : loaded.problems, `${deployment.metadata.name}: ${key}`).toEqual([]);
      }
    }
  });

  it('probes the ports and paths the process serves', async () => {
    const server = await startTelemetryServer(0, '127.0.0.1', new MetricsRegistry(), {
      healthy: () => true,
      ready: () => true,
    });
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      for (const deployment of ofKind<Deployment>(objects, 'Deployment')) {
        const container = deployment.spec.template.spec.containers[0]!;
        const resolved = resolveCommand(commands, container.args);
        if (resolved.kind !== 'command') continue;
        const { values } = parseCommandArgs(resolved.command, resolved.args);
        const metricsPort = Number(values[resolved.command.name === 'serve' ? 'metrics-port' : 'port']);
        const ports = new Map((container.ports ?? []).map((p) => [p.name, p.containerPort]));
        expect(ports.get('metrics'), deployment.metadata.name).toBe(metricsPort);
        if (resolved.command.name === 'serve') expect(ports.get('http')).toBe(Number(values.port));
        for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
          if (!probe) continue;
          expect(ports.get(String(probe.httpGet.port)) ?? probe.httpGet.port).toBe(metricsPort);
          expect((await fetch(`${base}${probe.httpGet.path}`)).status, probe.httpGet.path).toBe(200);
        }
        expect(container.livenessProbe?.httpGet.path).toBe('/healthz');
        expect(container.readinessProbe?.httpGet.path).toBe('/readyz');
      }
    } finally {
      server.close();
    }
  });

  it('sets only environment variables the code reads, and valid endpoints', () => {
    for (const deployment of ofKind<Deployment>(objects, 'Deployment')) {
      const container = deployment.spec.template.spec.containers[0]!;
      const env = environmentOf(container, objects);
      const pipelineVariables = new Set(
        Object.values(
          Object.fromEntries(
            pipelinesOf(
              deployment,
              container.args.filter((a) => a.endsWith('.yaml')),
              objects,
            ).map((p) => [p.key, p.text]),
          ),
        ).flatMap((text) => [...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!)),
      );
      const names = [...Object.keys(env), ...(container.env ?? []).map((e) => e.name)];
      expect(
        names.filter((n) => !codeVariables.has(n) && !pipelineVariables.has(n)),
        deployment.metadata.name,
      ).toEqual([]);
      if (overlay === 'local') expect(() => readEndpoints(env)).not.toThrow();
    }
  });

  it('gives each pod a grace period above its pipelines’ drain bound plus the preStop pause', () => {
    for (const deployment of ofKind<Deployment>(objects, 'Deployment')) {
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0]!;
      const drainMs = Math.max(
        ...container.args
          .filter((a) => a.endsWith('.yaml'))
          .map((a) => shippedPlans.get(a.split('/').at(-1)!)!.delivery.shutdownTimeoutMs),
      );
      const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
      expect(pod.terminationGracePeriodSeconds, deployment.metadata.name).toBeGreaterThan(
        preStop + drainMs / 1000,
      );
    }
  });

  it('scales each pipeline on its own group and topics, up to their partitions', () => {
    const partitions = new Map<string, number>();
    for (const plan of shippedPlans.values())
      for (const t of declaredTopics(plan))
        partitions.set(t.topic, Math.max(partitions.get(t.topic) ?? 0, t.partitions));
    const scaled = ofKind<ScaledObject>(objects, 'ScaledObject').filter((o) =>
      o.spec.triggers.some((t) => t.type === 'kafka'),
    );
    expect(scaled.length).toBe(2);
    for (const object of scaled) {
      const deployment = ofKind<Deployment>(objects, 'Deployment').find(
        (d) => d.metadata.name === object.spec.scaleTargetRef.name,
      )!;
      const container = deployment.spec.template.spec.containers[0]!;
      const plan = shippedPlans.get(container.args[1]!.split('/').at(-1)!)!;
      const topics = (plan.source.config as { topics: string[] }).topics;
      const triggers = object.spec.triggers.filter((t) => t.type === 'kafka');
      expect(triggers.map((t) => t.metadata.topic).sort()).toEqual([...topics].sort());
      for (const trigger of triggers) {
        expect(trigger.metadata.consumerGroup).toBe(
          plan.source.spec.group?.(plan.source.config as never, plan.name) ?? plan.name,
        );
        expect(
          Object.keys(environmentOf(container, objects)).concat(
            overlay === 'production' ? ['KAFKA_BROKERS'] : [],
          ),
        ).toContain(trigger.metadata.bootstrapServersFromEnv);
      }
      if (overlay === 'production')
        expect(object.spec.maxReplicaCount).toBe(Math.max(...topics.map((t) => partitions.get(t)!)));
    }
  });
});

describe('sizing from the benchmark', () => {
  /** The newest full (not --quick) run that measured the scenario. */
  const latestFull = (scenario: string) =>
    readFileSync('bench/results/history.jsonl', 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            quick?: boolean;
            s: Record<string, { rss?: number; f?: Record<string, number> }>;
          },
      )
      .filter((run) => !run.quick && run.s[scenario])
      .at(-1)!.s[scenario]!;
  const mebibytes = (quantity: string) =>
    Number(/^(\d+)Mi$/.exec(quantity)?.[1] ?? Number(/^(\d+)Gi$/.exec(quantity)![1]) * 1024);
  const deployment = (name: string) =>
    ofKind<Deployment>(overlays.production, 'Deployment').find((d) => d.metadata.name === name)!.spec.template
      .spec.containers[0]!;

  it.each([
    ['tributary-ucr', 'ingest'],
    ['tributary-serve', 'submission'],
  ])(
    '%s requests at least the peak RSS of the %s scenario, and its limit leaves a quarter more',
    (name, scenario) => {
      const rss = latestFull(scenario).rss!;
      const { requests, limits } = deployment(name).resources;
      expect(mebibytes(requests.memory)).toBeGreaterThanOrEqual(rss);
      expect(mebibytes(limits.memory)).toBeGreaterThanOrEqual(rss * 1.25);
    },
  );

  it('sets the UCR lag threshold at about 30 s of one worker’s measured throughput', () => {
    const perWorker = latestFull('ingest').f!['pipeline1.documentsPerSecond']!;
    const threshold = Number(
      ofKind<ScaledObject>(overlays.production, 'ScaledObject').find(
        (o) => o.metadata.name === 'tributary-ucr',
      )!.spec.triggers[0]!.metadata.lagThreshold,
    );
    expect(threshold / (perWorker * 30)).toBeGreaterThan(0.5);
    expect(threshold / (perWorker * 30)).toBeLessThan(2);
  });
});

describe('the validation itself', () => {
  it('fails a misspelt field, a wrong type and an unknown KEDA field', () => {
    const deployment = structuredClone(ofKind<Deployment>(overlays.production, 'Deployment')[0]!);
    const container = deployment.spec.template.spec.containers[0]! as unknown as Record<string, unknown>;
    container.livenesProbe = container.livenessProbe;
    (container.ports as { containerPort: unknown }[])[0]!.containerPort = 'metrics';
    const scaled = structuredClone(ofKind<ScaledObject>(overlays.production, 'ScaledObject')[0]!);
    (scaled.spec as Record<string, unknown>).maxReplicas = 6;
    expect(
      [...schemas.validate(deployment), ...schemas.validate(scaled)].map((p) => p.replace(/ \(known:.*/, '')),
    ).toEqual([
      `Deployment/${deployment.metadata.name}: spec.template.spec.containers[0].ports[0].containerPort: expected integer, got string "metrics"`,
      `Deployment/${deployment.metadata.name}: spec.template.spec.containers[0].livenesProbe: unknown field`,
      `ScaledObject/${scaled.metadata.name}: spec.maxReplicas: unknown field`,
    ]);
  });
});

describe('the worker component (exports and imports)', () => {
  const objects = renderWithComponents(tools, ['deploy/k8s/components/worker']);

  it('validates against the schemas', () => {
    expect(objects.flatMap((o) => schemas.validate(o))).toEqual([]);
  });

  it('scales on the wait list of the export queue under the prefix the worker uses', () => {
    const scaled = ofKind<ScaledObject>(objects, 'ScaledObject').find(
      (o) => o.metadata.name === 'tributary-worker',
    )!;
    expect(scaled.spec.triggers).toMatchObject([
      { type: 'redis', metadata: { listName: `${taskSettings().prefix}:exports:wait` } },
    ]);
  });

  it('is in an overlay exactly when `tributary worker` exists, and then runs options it accepts', () => {
    const worker = ofKind<Deployment>(objects, 'Deployment').find(
      (d) => d.metadata.name === 'tributary-worker',
    )!;
    const args = worker.spec.template.spec.containers[0]!.args;
    const resolved = resolveCommand(commands, args);
    const inOverlays = Object.values(overlays).some((o) =>
      o.some((x) => x.metadata.name === 'tributary-worker'),
    );
    expect(inOverlays).toBe(resolved.kind === 'command');
    if (resolved.kind === 'command')
      expect(() => parseCommandArgs(resolved.command, resolved.args)).not.toThrow();
  });
});

describe('the compose stack’s Tributary services', () => {
  const compose = parse(readFileSync('deploy/compose/docker-compose.yml', 'utf8'), { merge: true }) as {
    services: Record<
      string,
      { command?: string[]; environment?: Record<string, string>; profiles?: string[] }
    >;
  };
  const services = Object.entries(compose.services).filter(([name]) => name.startsWith('tributary-'));

  it('run commands the CLI has, on shipped pipeline files that load with their environment', async () => {
    expect(services.length).toBeGreaterThanOrEqual(4);
    for (const [name, service] of services) {
      expect(service.profiles, `${name} starts only with --profile app`).toEqual(['app']);
      const resolved = resolveCommand(commands, service.command ?? []);
      expect(resolved.kind, name).toBe('command');
      if (resolved.kind !== 'command') continue;
      const { values, positionals } = parseCommandArgs(resolved.command, resolved.args);
      expect(values.host, name).toBe('0.0.0.0');
      const env = service.environment ?? {};
      expect(
        Object.keys(env).filter((n) => !codeVariables.has(n)),
        name,
      ).toEqual([]);
      expect(() => readEndpoints(env)).not.toThrow();
      for (const file of positionals) {
        const loaded = await loadPipelineFile(file.replace(/^\/app\//, ''), registry, env);
        expect(loaded.ok ? [] : loaded.problems, `${name}: ${file}`).toEqual([]);
      }
    }
  });
});
