/**
 * The README's offline commands, taken from the README itself and run as pasted, in order, on a
 * copy of the project's tracked files (what a clone holds) with the installed node_modules: the
 * first pipeline written from its YAML block, `npm run build`, then every `npm run tributary --`
 * line that needs no server (--help, validate, docs, schemas check, xform parse, ucr …). Each
 * must exit 0, and print what the README says it prints where it says so (`# …` after it).
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** A command line of the README, with the variables set before it in its block and its expected output. */
interface ReadmeCommand {
  line: string;
  env: Record<string, string>;
  expected?: string;
}

/** Every `npm run …` line of the README's code blocks and inline code, in order. */
function readmeCommands(): ReadmeCommand[] {
  const found: { at: number; command: ReadmeCommand }[] = [];
  for (const block of readme.matchAll(/^ *```sh\n([\s\S]*?)^ *```/gm)) {
    const env: Record<string, string> = {};
    const lines = block[1]!.split('\n');
    lines.forEach((raw, i) => {
      const line = raw.trim();
      const assignment = /^([A-Z_]+)=(\S+)\s*(#.*)?$/.exec(line);
      if (assignment) env[assignment[1]!] = assignment[2]!;
      if (!line.startsWith('npm run')) return;
      const [command, comment] = line.split(/\s+#\s+/, 2) as [string, string | undefined];
      // An output comment on its own line right after the command counts as its output too.
      const nextLine = lines[i + 1]?.trim() ?? '';
      // A comment that looks like output (JSON, true/false) is what the command prints; others explain.
      const output = (text: string | undefined) =>
        text && /^[{["\d]|^(true|false)\b/.test(text) ? text : undefined;
      const expected = output(comment) ?? (nextLine.startsWith('# ') ? output(nextLine.slice(2)) : undefined);
      found.push({ at: block.index + 1, command: { line: command.trim(), env: { ...env }, expected } });
    });
  }
  for (const inline of readme.matchAll(/`(npm run tributary -- [^`\n]+)`/g))
    found.push({ at: inline.index, command: { line: inline[1]!, env: {} } });
  return found.sort((a, b) => a.at - b.at).map((f) => f.command);
}

const offline =
  /^npm run tributary -- (--help|[\w-]+ --help|validate |docs$|schemas check$|xform parse |ucr (eval|expr|filter|indicator) )/;
const isOffline = (c: ReadmeCommand) => offline.test(c.line) && !/[<…&|]/.test(c.line);

/** The YAML of "Write `pipelines/my-first.yaml`", dedented. */
function firstPipeline(): string {
  const after = readme.slice(readme.indexOf('Write `pipelines/my-first.yaml`'));
  const block = /^( *)```yaml\n([\s\S]*?)^ *```/m.exec(after)!;
  return block[2]!
    .split('\n')
    .map((l) => l.slice(block[1]!.length))
    .join('\n');
}

const copy = mkdtempSync(join(tmpdir(), 'tributary-readme-'));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

function sh(line: string, env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      'sh',
      ['-c', line],
      {
        cwd: copy,
        env: { ...process.env, ...env, LOG_FORMAT: 'json' },
        timeout: 240_000,
        maxBuffer: 64 << 20,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** stdout without npm's `> tributary@… tributary` banner. */
const withoutBanner = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => !l.startsWith('> ') && l.trim() !== '')
    .join('\n');

describe('the README', () => {
  it('has offline commands to check, and the first pipeline to write', () => {
    const commands = readmeCommands().filter(isOffline);
    expect(commands.map((c) => c.line.split(' ').slice(4, 6).join(' '))).toEqual(
      expect.arrayContaining([
        '--help',
        'validate pipelines/my-first.yaml',
        'docs',
        'schemas check',
        'ucr expr',
      ]),
    );
    expect(firstPipeline()).toMatch(
      /^# yaml-language-server: \$schema=pipeline\.schema\.json\nname: my-first\n/,
    );
  });

  it(
    'runs every offline command, pasted in order on a copy of the tracked files, with exit 0 and the output it shows',
    { timeout: 600_000 },
    async () => {
      // What a clone holds: the tracked files as they are now, plus the installed dependencies.
      const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0');
      for (const file of tracked.filter(Boolean)) {
        mkdirSync(dirname(join(copy, file)), { recursive: true });
        try {
          cpSync(join(root, file), join(copy, file));
        } catch {
          // deleted in the working tree but not yet from the index: a clone would not have it either
        }
      }
      symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
      writeFileSync(join(copy, 'pipelines/my-first.yaml'), firstPipeline());

      const build = await sh('npm run build', {});
      expect({ code: build.code, output: build.code ? build.stdout + build.stderr : '' }).toEqual({
        code: 0,
        output: '',
      });

      const failures: string[] = [];
      for (const command of readmeCommands().filter(isOffline)) {
        const run = await sh(command.line, command.env);
        const out = withoutBanner(run.stdout);
        if (run.code !== 0) failures.push(`${command.line}: exit ${run.code}: ${run.stderr.slice(0, 300)}`);
        else if (command.expected !== undefined) {
          const prefix = command.expected.split('…')[0]!;
          if (!out.split('\n')[0]!.startsWith(prefix))
            failures.push(
              `${command.line}: printed ${out.split('\n')[0]} but the README says ${command.expected}`,
            );
        } else if (out === '') failures.push(`${command.line}: printed nothing`);
      }
      expect(failures).toEqual([]);
    },
  );
});
