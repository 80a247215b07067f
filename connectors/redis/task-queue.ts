/**
 * The task queues on Redis (BullMQ): named queues with priorities, retries with backoff, stalled-job
 * recovery (a job whose worker stops renewing its lock goes back to waiting) and job schedulers for
 * repeatable jobs. One connection factory and one set of defaults for the server, the worker and
 * the CLI.
 */
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';

export const taskQueueNames = ['exports', 'imports'] as const;
export type TaskQueueName = (typeof taskQueueNames)[number];

/** Lower runs first (BullMQ priorities): a person waiting beats a scheduled rebuild. */
export const taskPriorities = { interactive: 1, scheduled: 10 } as const;

export interface TaskQueueOptions {
  redisUrl: string;
  /** BullMQ key prefix; tests use their own. */
  prefix: string;
}

/** BullMQ's connection: workers block on Redis, so commands must wait for a reconnect rather than fail. */
export function taskConnection(redisUrl: string): ConnectionOptions {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** Every job: three attempts with exponential backoff from 2 s; finished jobs kept a while for status. */
export const defaultJobOptions: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 7 * 86_400, count: 1_000 },
  removeOnFail: { age: 30 * 86_400 },
};

export function openQueue(name: TaskQueueName, options: TaskQueueOptions): Queue {
  return new Queue(name, {
    connection: taskConnection(options.redisUrl),
    prefix: options.prefix,
    defaultJobOptions,
  });
}

export interface QueueCounts {
  queue: string;
  waiting: number;
  active: number;
  failed: number;
  delayed: number;
  completed: number;
  prioritized: number;
}

/** Each queue's counts, for `tributary status` and the pipelines page. */
export async function queueCounts(options: TaskQueueOptions): Promise<QueueCounts[]> {
  return Promise.all(
    taskQueueNames.map(async (name) => {
      const queue = openQueue(name, options);
      try {
        const counts = await queue.getJobCounts(
          'waiting',
          'active',
          'failed',
          'delayed',
          'completed',
          'prioritized',
        );
        return {
          queue: name,
          waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
          active: counts.active ?? 0,
          failed: counts.failed ?? 0,
          delayed: counts.delayed ?? 0,
          completed: counts.completed ?? 0,
          prioritized: counts.prioritized ?? 0,
        };
      } finally {
        await queue.close();
      }
    }),
  );
}
