/** Shared long-lived clients of one process, created once on first use and closed once, in reverse order. */
import type { Resources } from '../contract/index.js';

export class ResourcePool implements Resources {
  private readonly entries = new Map<string, Promise<unknown>>();
  private readonly closers: { key: string; close: () => Promise<void> | void }[] = [];

  get<T>(key: string, create: () => T | Promise<T>, close?: (value: T) => Promise<void> | void): Promise<T> {
    let entry = this.entries.get(key) as Promise<T> | undefined;
    if (!entry) {
      entry = Promise.resolve().then(create);
      this.entries.set(key, entry);
      entry.then(
        (value) => {
          if (close) this.closers.push({ key, close: () => close(value) });
        },
        () => this.entries.delete(key),
      );
    }
    return entry;
  }

  /** Puts a value in ahead of use (tests hand in their own streams and stores this way). */
  set<T>(key: string, value: T): void {
    this.entries.set(key, Promise.resolve(value));
  }

  async close(): Promise<void> {
    for (const { close } of this.closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    this.closers.length = 0;
    this.entries.clear();
  }
}
