/**
 * The status of a background task in Redis, as CommCare keeps its "task status object": one hash per
 * task with `{state, done, total, percent, started_at, updated_at}` and what the task produced. The
 * percentage never goes backwards: a retried task is shown as `restarting` at its earlier high-water
 * mark until its new attempt passes it (one Lua script makes the check and the write atomic).
 */
import type { Redis } from 'ioredis';

export type TaskState = 'queued' | 'running' | 'restarting' | 'uploading' | 'done' | 'failed';

export interface TaskStatus {
  task_id: string;
  kind: string;
  domain: string;
  state: TaskState;
  done: number;
  total: number | null;
  percent: number;
  attempt: number;
  started_at: string | null;
  updated_at: string;
  finished_at: string | null;
  error: string | null;
  /** Anything else the task records (file key, name, row counts…), as strings. */
  details: Record<string, string>;
}

const core = new Set([
  'task_id',
  'kind',
  'domain',
  'state',
  'done',
  'total',
  'percent',
  'attempt',
  'started_at',
  'updated_at',
  'finished_at',
  'error',
]);

// KEYS[1]: the hash. ARGV: done, total, percent, now, state. Writes only when the percentage does not
// drop; otherwise only updated_at moves (the task is alive, still catching up after a restart).
const progressScript = `
local current = tonumber(redis.call('HGET', KEYS[1], 'percent') or '0') or 0
local percent = tonumber(ARGV[3])
if percent >= current then
  redis.call('HSET', KEYS[1], 'done', ARGV[1], 'total', ARGV[2], 'percent', ARGV[3], 'state', ARGV[5], 'updated_at', ARGV[4])
  return 1
end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[4])
return 0`;

export class TaskStatusStore {
  constructor(
    private readonly redis: Redis,
    /** Key prefix, e.g. `tributary:`; tests use their own. */
    private readonly prefix: string,
    private readonly ttlSeconds = 7 * 86_400,
  ) {}

  key(taskId: string): string {
    return `${this.prefix}task:${taskId}`;
  }

  private now(): string {
    return new Date().toISOString();
  }

  async create(
    taskId: string,
    kind: string,
    domain: string,
    details: Record<string, string> = {},
  ): Promise<void> {
    const key = this.key(taskId);
    await this.redis
      .multi()
      .hset(key, {
        task_id: taskId,
        kind,
        domain,
        state: 'queued',
        done: 0,
        percent: 0,
        attempt: 0,
        updated_at: this.now(),
        ...details,
      })
      .expire(key, this.ttlSeconds)
      .exec();
  }

  /**
   * Marks an attempt as started and resolves with its number, counted here (a job recovered from a
   * dead worker is not a failed attempt to the queue, but it is a restart to the person watching).
   * Attempts after the first are `restarting`: the shown percentage stays until the new one passes it.
   */
  async begin(taskId: string): Promise<number> {
    const key = this.key(taskId);
    const now = this.now();
    const attempt = await this.redis.hincrby(key, 'attempt', 1);
    const fields: Record<string, string | number> = { updated_at: now, error: '' };
    if (attempt > 1) fields.state = 'restarting';
    else Object.assign(fields, { state: 'running', started_at: now });
    await this.redis
      .multi()
      .hset(key, fields)
      .hsetnx(key, 'started_at', now)
      .expire(key, this.ttlSeconds)
      .exec();
    return attempt;
  }

  /** Records progress; resolves false when it was below the shown percentage (kept `restarting`). */
  async progress(
    taskId: string,
    done: number,
    total: number,
    percent: number,
    state: TaskState = 'running',
  ): Promise<boolean> {
    const written = await this.redis.eval(
      progressScript,
      1,
      this.key(taskId),
      done,
      total,
      percent,
      this.now(),
      state,
    );
    return written === 1;
  }

  async set(taskId: string, fields: Record<string, string | number>): Promise<void> {
    await this.redis.hset(this.key(taskId), { ...fields, updated_at: this.now() });
  }

  async finish(taskId: string, details: Record<string, string | number>): Promise<void> {
    const now = this.now();
    await this.redis.hset(this.key(taskId), {
      ...details,
      state: 'done',
      percent: 100,
      updated_at: now,
      finished_at: now,
      error: '',
    });
  }

  async fail(taskId: string, message: string): Promise<void> {
    const now = this.now();
    await this.redis.hset(this.key(taskId), {
      state: 'failed',
      error: message,
      updated_at: now,
      finished_at: now,
    });
  }

  async get(taskId: string): Promise<TaskStatus | null> {
    const hash = await this.redis.hgetall(this.key(taskId));
    if (!hash.task_id) return null;
    const num = (value: string | undefined) => (value === undefined || value === '' ? null : Number(value));
    return {
      task_id: hash.task_id,
      kind: hash.kind ?? '',
      domain: hash.domain ?? '',
      state: (hash.state ?? 'queued') as TaskState,
      done: num(hash.done) ?? 0,
      total: num(hash.total),
      percent: num(hash.percent) ?? 0,
      attempt: num(hash.attempt) ?? 0,
      started_at: hash.started_at || null,
      updated_at: hash.updated_at ?? '',
      finished_at: hash.finished_at || null,
      error: hash.error || null,
      details: Object.fromEntries(Object.entries(hash).filter(([name]) => !core.has(name))),
    };
  }
}
