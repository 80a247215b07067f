/**
 * An in-process log with lanes and committed positions, and a versioned key-value store: the
 * `memory` source and sink read and write these, so pipeline tests need no server.
 */
import { EventEmitter } from 'node:events';
import type { Resources } from '../../runtime/contract/index.js';

export interface MemoryEntry {
  key: string | null;
  value: unknown;
  headers?: Record<string, string>;
}

export class MemoryStream {
  readonly lanes: MemoryEntry[][];
  /** Next position to read, per lane, as committed by a consumer. */
  readonly committed: number[];
  private readonly changed = new EventEmitter();

  constructor(laneCount: number) {
    this.lanes = Array.from({ length: laneCount }, () => []);
    this.committed = Array.from({ length: laneCount }, () => 0);
    this.changed.setMaxListeners(0);
  }

  /** Appends to the lane the key hashes to (lane 0 for a null key), keeping per-key order. */
  append(...entries: MemoryEntry[]): void {
    for (const entry of entries) this.lanes[laneOf(entry.key, this.lanes.length)]!.push(entry);
    this.changed.emit('append');
  }

  /** Resolves on the next append, or at once when aborted. */
  waitForAppend(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.changed.off('append', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.changed.once('append', done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  get size(): number {
    return this.lanes.reduce((sum, lane) => sum + lane.length, 0);
  }
}

function laneOf(key: string | null, lanes: number): number {
  if (key === null) return 0;
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (Math.imul(hash, 31) + key.charCodeAt(i)) | 0;
  return Math.abs(hash) % lanes;
}

export interface StoredValue {
  version: bigint;
  value: unknown;
  deleted: boolean;
}

/** Target → key → latest version; a write with an older version is ignored, as in every real sink. */
export class MemoryStore {
  readonly targets = new Map<string, Map<string, StoredValue>>();
  writes = 0;

  apply(target: string, key: string, version: bigint, value: unknown, deleted: boolean): boolean {
    let table = this.targets.get(target);
    if (!table) this.targets.set(target, (table = new Map<string, StoredValue>()));
    const current = table.get(key);
    this.writes++;
    if (current && current.version > version) return false;
    table.set(key, { version, value, deleted });
    return true;
  }

  /** Live (not deleted) values of a target, by key. */
  live(target: string): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const [key, stored] of this.targets.get(target) ?? [])
      if (!stored.deleted) out.set(key, stored.value);
    return out;
  }
}

export const memoryStream = (resources: Resources, name: string, lanes = 1) =>
  resources.get(`memory-stream:${name}`, () => new MemoryStream(lanes));

export const memoryStore = (resources: Resources, name: string) =>
  resources.get(`memory-store:${name}`, () => new MemoryStore());
