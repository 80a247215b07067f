/**
 * View definitions (UCR data sources, search index mappings) from a folder: every `*.json`
 * directly in it (not in subfolders) is one configuration, applied when it appears or changes and
 * removed when its file goes.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../runtime/contract/index.js';

/** Receives configurations: `null` when the file went away; `origin` is `file:<name>`. */
export type ConfigApply = (origin: string, json: unknown) => Promise<void>;

export class ConfigFolder {
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly folder: string,
    private readonly apply: ConfigApply,
    private readonly logger: Logger,
  ) {}

  /** Reads the folder once and applies what changed since the last scan. */
  scan(): Promise<void> {
    this.running ??= this.scanOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Scans every `pollMs` (0: never again). */
  watch(pollMs: number): void {
    if (pollMs <= 0) return;
    this.timer = setInterval(() => {
      this.scan().catch((error: unknown) =>
        this.logger.warn(
          { folder: this.folder, error: (error as Error).message },
          'Could not scan the UCR config folder.',
        ),
      );
    }, pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async scanOnce(): Promise<void> {
    let names: string[];
    try {
      const entries = await readdir(this.folder, { withFileTypes: true });
      names = entries
        .filter((e) => e.isFile() && e.name.endsWith('.json'))
        .map((e) => e.name)
        .sort();
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
      names = [];
    }
    for (const name of names) {
      const text = await readFile(join(this.folder, name), 'utf8').catch(() => undefined);
      if (text === undefined || this.seen.get(name) === text) continue;
      this.seen.set(name, text);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        // An unparsable file is a configuration problem: the manager records it.
        json = { __unparsable: (error as Error).message };
      }
      await this.apply(`file:${name}`, json);
    }
    for (const name of [...this.seen.keys()]) {
      if (names.includes(name)) continue;
      this.seen.delete(name);
      await this.apply(`file:${name}`, null);
    }
  }
}
