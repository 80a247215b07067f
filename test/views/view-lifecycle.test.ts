/**
 * The view lifecycle with a storage adapter of a few lines (targets and readers' aliases in
 * memory, like an index and its alias): what a search index or any other rebuilt view gets.
 */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ViewCatalog } from '../../connectors/views/view-catalog.js';
import { ViewLifecycle } from '../../connectors/views/view-lifecycle.js';
import type { ViewBuilder, ViewDefinition, ViewStorage } from '../../connectors/views/view-storage.js';
import type { Logger } from '../../runtime/contract/index.js';
import { createLogger, silentLogger } from '../../runtime/telemetry/logger.js';
import { eventually, testDatabase } from '../support/pipeline-fixtures.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const database = await testDatabase();

afterAll(async () => {
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

interface IndexDefinition extends ViewDefinition {
  fields: string[];
}

const compile = (source: unknown): IndexDefinition => {
  const s = source as { name?: unknown; fields?: unknown };
  if (typeof s.name !== 'string' || !Array.isArray(s.fields)) throw new Error('expected a name and fields');
  return {
    view: s.name,
    hash: createHash('sha1').update(JSON.stringify(s.fields)).digest('hex'),
    source,
    labels: { name: s.name },
    deactivated: false,
    rebuildable: true,
    fields: s.fields as string[],
  };
};

/** Targets and the alias readers query, in memory: an index store without transactions. */
class MemoryIndices implements ViewStorage<IndexDefinition> {
  readonly targets = new Map<string, string[]>();
  readonly aliases = new Map<string, string>();
  physicalName = (d: IndexDefinition, twin?: string) =>
    `${d.view}_${d.hash.slice(0, 8)}${twin ? `_${twin}` : ''}`;
  createPhysical = (_tx: unknown, physical: string) => Promise.resolve(void this.targets.set(physical, []));
  swapReaders = (_tx: unknown, view: string, physical: string) =>
    Promise.resolve(void this.aliases.set(view, physical));
  dropPhysical = (_tx: unknown, physical: string, view: string) => {
    this.targets.delete(physical);
    if (this.aliases.get(view) === physical) this.aliases.delete(view);
    return Promise.resolve();
  };
  existing = (_tx: unknown, physicals: readonly string[]) =>
    Promise.resolve(new Set(physicals.filter((p) => this.targets.has(p))));
  lock = () => Promise.resolve();
  count = (_tx: unknown, physical: string) => Promise.resolve(this.targets.get(physical)?.length ?? 0);
  /** When set, a build throws as one interrupted by the pipeline's stop would. */
  stopped = false;
  /** While set, every build waits for it before filling. */
  held: Promise<void> | undefined;
  /** What a reader of `view` sees. */
  read = (view: string) => this.targets.get(this.aliases.get(view) ?? '') ?? [];
}

/** Fills a target with one document per field, committing progress after each. */
const builder = (indices: MemoryIndices): ViewBuilder<IndexDefinition> => ({
  build: async (job) => {
    await indices.held;
    if (indices.stopped) throw new Error('stopped before the end of its source');
    const documents = job.definition.fields.map((field) => `${field}@${job.definition.hash.slice(0, 4)}`);
    for (const [i, document] of documents.entries()) {
      indices.targets.get(job.physical)!.push(document);
      await job.progress(i + 1, document);
    }
    return documents.length;
  },
});

/** A lifecycle of its own pipeline (`owner`): each test keeps its own catalog rows. */
function lifecycle(
  indices: MemoryIndices,
  owner: string,
  graceMs = 300,
  extra: { signal?: AbortSignal; logger?: Logger } = {},
) {
  return new ViewLifecycle<IndexDefinition>({
    db: database.db,
    catalog: new ViewCatalog({
      schema: names.pgSchema(),
      table: 'indices',
      problemsTable: 'index_problems',
      labels: ['name'],
      lockPrefix: names.id,
    }),
    storage: indices,
    builder: builder(indices),
    compile,
    problemLabels: (source) => {
      const name = (source as { name?: unknown }).name;
      return { name: typeof name === 'string' ? name : null };
    },
    owner,
    logger: extra.logger ?? (process.env.VIEW_TEST_LOG ? createLogger({ level: 'debug' }) : silentLogger),
    ...(extra.signal ? { signal: extra.signal } : {}),
    noun: 'test index',
    graceMs,
    catalogPollMs: 100,
    buildStartDelayMs: 0,
  });
}

describe('view lifecycle', () => {
  it('builds a definition beside the live target, swaps readers to it, then drops the old one after the grace period', async () => {
    const indices = new MemoryIndices();
    const views = lifecycle(indices, `${names.id}-a`);
    await views.start();
    try {
      await views.apply('file:cases.json', { name: 'cases', fields: ['a', 'b'] });
      expect(await eventually(() => Promise.resolve(indices.read('cases').length === 2), 10_000)).toBe(true);
      const first = indices.aliases.get('cases')!;

      await views.apply('file:cases.json', { name: 'cases', fields: ['a', 'b', 'c'] });
      // Readers see the old target until the new one is complete, then the new one at once.
      expect(await eventually(() => Promise.resolve(indices.read('cases').length === 3), 10_000)).toBe(true);
      const second = indices.aliases.get('cases')!;
      expect(second).not.toBe(first);
      expect(indices.targets.has(first)).toBe(true);
      expect(await eventually(() => Promise.resolve(!indices.targets.has(first)), 10_000)).toBe(true);
      expect([...indices.targets.keys()]).toEqual([second]);

      const [row] = views.active().map((view) => view.row);
      expect(row).toMatchObject({
        state: 'live',
        physical: second,
        rows: 3n,
        progress: null,
        labels: { name: 'cases' },
      });
    } finally {
      await views.close();
    }
  });

  it('reports the builds it runs, with when each began, until they are swapped in', async () => {
    const indices = new MemoryIndices();
    let release = () => undefined as void;
    indices.held = new Promise<void>((resolve) => (release = resolve));
    const views = lifecycle(indices, `${names.id}-builds`);
    await views.start();
    try {
      const before = Date.now();
      await views.apply('file:visits.json', { name: 'visits', fields: ['a'] });
      expect(await eventually(() => Promise.resolve(views.runningBuilds().length === 1), 10_000)).toBe(true);
      const [build] = views.runningBuilds();
      expect(build!.view).toBe('visits');
      expect(build!.startedAt).toBeGreaterThanOrEqual(before);
      expect(build!.startedAt).toBeLessThanOrEqual(Date.now());
      release();
      expect(await eventually(() => Promise.resolve(indices.read('visits').length === 1), 10_000)).toBe(true);
      expect(views.runningBuilds()).toEqual([]);
    } finally {
      release();
      await views.close();
    }
  });

  it('treats a build interrupted by the pipeline stopping as no failure: logged at info, no error recorded', async () => {
    const indices = new MemoryIndices();
    let release = () => undefined as void;
    indices.held = new Promise<void>((resolve) => (release = resolve));
    const stop = new AbortController();
    const lines: { level: string; message: string }[] = [];
    const logger: Logger = {
      ...silentLogger,
      info: (_fields, message) => void lines.push({ level: 'info', message }),
      error: (_fields, message) => void lines.push({ level: 'error', message }),
      child: () => logger,
    };
    const views = lifecycle(indices, `${names.id}-stopped`, 300, { signal: stop.signal, logger });
    await views.start();
    try {
      await views.apply('file:homes.json', { name: 'homes', fields: ['a'] });
      expect(await eventually(() => Promise.resolve(views.runningBuilds().length === 1), 10_000)).toBe(true);
      stop.abort();
      indices.stopped = true;
      release();
      expect(await eventually(() => Promise.resolve(views.runningBuilds().length === 0), 10_000)).toBe(true);
      await views.settled();
      expect(lines.filter((l) => l.level === 'error')).toEqual([]);
      expect(lines.some((l) => /stopped with the pipeline/.test(l.message))).toBe(true);
      const [row] = views.active().map((view) => view.row);
      expect(row).toMatchObject({ state: 'building', errors: null });
    } finally {
      release();
      await views.close();
    }
  });

  it('records a definition that cannot be used, keeps the live target, and clears the problem once fixed', async () => {
    const indices = new MemoryIndices();
    const views = lifecycle(indices, `${names.id}-b`);
    await views.start();
    const catalog = new ViewCatalog({
      schema: names.pgSchema(),
      table: 'indices',
      problemsTable: 'index_problems',
      labels: ['name'],
      lockPrefix: names.id,
    });
    try {
      await views.apply('file:users.json', { name: 'users', fields: ['x'] });
      await views.apply('file:users.json', { name: 'users', fields: 'not a list' });
      expect(
        (await catalog.problems(database.db, `${names.id}-b`)).map((p) => [p.origin, p.error, p.labels]),
      ).toEqual([['file:users.json', 'expected a name and fields', { name: 'users' }]]);
      expect(await eventually(() => Promise.resolve(indices.read('users').length === 1), 10_000)).toBe(true);
      await views.apply('file:users.json', { name: 'users', fields: ['x', 'y'] });
      expect(await catalog.problems(database.db, `${names.id}-b`)).toEqual([]);
      expect(await eventually(() => Promise.resolve(indices.read('users').length === 2), 10_000)).toBe(true);

      // Removing the configuration retires the view; its target goes after the grace period.
      await views.apply('file:users.json', null);
      expect(
        await eventually(
          () => Promise.resolve(indices.targets.size === 0 && !indices.aliases.has('users')),
          10_000,
        ),
      ).toBe(true);
    } finally {
      await views.close();
    }
  });
});
