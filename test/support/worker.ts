/** Runs `tributary run` as a separate worker process, the way operators scale a pipeline. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function writePipelineFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tributary-pipeline-')), 'pipeline.yaml');
  writeFileSync(file, yaml);
  return file;
}

export interface Worker {
  process: ChildProcess;
  /** Everything the worker logged (JSON lines on stderr). */
  output(): string;
  /** Resolves with the exit code (or the signal) and how long after `kill` it came. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  kill(signal: NodeJS.Signals): number;
}

/** `args` go after the defaults, so `['--port', '9500']` serves metrics and /readyz on that port. */
export function startWorker(pipelineFile: string, env: NodeJS.ProcessEnv = {}, args: string[] = []): Worker {
  const child = spawn(process.execPath, ['dist/cli/main.js', 'run', pipelineFile, '--port', '0', ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return {
    process: child,
    output: () => output,
    exited,
    kill: (signal) => {
      child.kill(signal);
      return Date.now();
    },
  };
}
