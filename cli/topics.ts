/** The topics a pipeline reads and writes, as its components and dead-letter settings declare them. */
import type { Admin, TopicSpec } from '../connectors/kafka/kafka-client.js';
import type { PipelinePlan } from '../runtime/config/index.js';
import type { TopicDeclaration } from '../runtime/contract/index.js';
import { loadSchemaCatalog, maxMessageBytesOf } from '../schemas/schema-catalog.js';

export function declaredTopics(plan: PipelinePlan): TopicDeclaration[] {
  const declared: TopicDeclaration[] = [];
  const add = (topics: TopicDeclaration[] | undefined) => declared.push(...(topics ?? []));
  add(plan.source.spec.topics?.(plan.source.config as never, plan.name));
  for (const sink of Object.values(plan.sinks)) add(sink.spec.topics?.(sink.config as never, plan.name));
  if (plan.source.spec.topics) {
    // Only pipelines on the log keep their dead letters on it; others keep them in the table.
    declared.push({ topic: plan.deadLetter.topic, partitions: plan.deadLetter.partitions, compact: false });
  }
  const unique = new Map<string, TopicDeclaration>();
  for (const topic of declared) if (!unique.has(topic.topic)) unique.set(topic.topic, topic);
  return [...unique.values()];
}

/**
 * The topics `run` may create: those a pipeline writes (its sinks' and its dead-letter topic). The
 * topics a source reads are never created by running it: `topics ensure` (or the source's own
 * `createTopics: true`) does that, so a misspelt name fails at start instead of waiting forever.
 */
export function writtenTopics(plan: PipelinePlan): TopicDeclaration[] {
  const read = new Set(
    (plan.source.spec.topics?.(plan.source.config as never, plan.name) ?? []).map((t) => t.topic),
  );
  const written = new Set(
    Object.values(plan.sinks)
      .flatMap((sink) => sink.spec.topics?.(sink.config as never, plan.name) ?? [])
      .map((t) => t.topic),
  );
  return declaredTopics(plan).filter((t) => written.has(t.topic) || !read.has(t.topic));
}

export interface TopicCheck {
  topic: string;
  status: 'created' | 'ok' | 'mismatch';
  detail?: string;
}

/**
 * Creates missing topics and checks existing ones against their declaration (partitions, cleanup
 * policy) and against what the schemas need (max.message.bytes from schemas/topics.yaml: the
 * receiver keeps every change event under it).
 */
export async function ensureTopics(admin: Admin, topics: TopicDeclaration[]): Promise<TopicCheck[]> {
  if (!topics.length) return [];
  const catalog = await loadSchemaCatalog();
  const maxBytes = (topic: string) => maxMessageBytesOf(catalog, topic);
  const specs: TopicSpec[] = topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions,
    configs: {
      'cleanup.policy': t.compact ? 'compact' : 'delete',
      'max.message.bytes': String(maxBytes(t.topic)),
    },
  }));
  const created = new Set(await admin.createTopics(specs));
  const existing = await admin.describeTopics(
    topics.filter((t) => !created.has(t.topic)).map((t) => t.topic),
    ['cleanup.policy', 'max.message.bytes'],
  );
  return topics.map((t) => {
    if (created.has(t.topic)) return { topic: t.topic, status: 'created' };
    const found = existing.find((d) => d.topic === t.topic);
    const policy = found?.configs['cleanup.policy'];
    const want = t.compact ? 'compact' : 'delete';
    const messageBytes = Number(found?.configs['max.message.bytes'] ?? Number.NaN);
    const problems = [
      found && found.partitions < t.partitions
        ? `${found.partitions} partitions, declared ${t.partitions}`
        : '',
      policy !== undefined && !policy.split(',').includes(want)
        ? `cleanup.policy=${policy}, declared ${want}`
        : '',
      messageBytes < maxBytes(t.topic)
        ? `max.message.bytes=${messageBytes}, the schemas need ${maxBytes(t.topic)} (change it with kafka-configs --alter)`
        : '',
    ].filter(Boolean);
    return problems.length
      ? { topic: t.topic, status: 'mismatch', detail: problems.join('; ') }
      : { topic: t.topic, status: 'ok' };
  });
}
