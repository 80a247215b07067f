import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { testNames } from '../support/resources.js';
import { startWorker, writePipelineFile, type Worker } from '../support/worker.js';

const names = testNames(import.meta.url);
const workers: Worker[] = [];

afterAll(() => {
  for (const worker of workers) worker.kill('SIGKILL');
});

async function topicExists(topic: string): Promise<boolean> {
  const admin = new Kafka({
    brokers: [...readEndpoints().KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).includes(topic);
  } finally {
    await admin.disconnect();
  }
}

describe('a pipeline whose source topic does not exist', () => {
  it(
    'refuses to start, naming the topic and the command that creates it, and creates nothing',
    { timeout: 60_000 },
    async () => {
      const misspelt = names.topic('csaes');
      const worker = startWorker(
        writePipelineFile(`
name: ${names.id}
source: { type: kafka, topics: ["${misspelt}"] }
sinks:
  out: { type: log }
`),
      );
      workers.push(worker);
      const exit = await worker.exited;
      expect(exit.code).toBe(2);
      expect(worker.output()).toContain(
        `tributary run: topics: topic '${misspelt}' of pipeline ${names.id} does not exist; create it with \`tributary topics ensure <pipeline file>\``,
      );
      expect(await topicExists(misspelt)).toBe(false);
    },
  );
});
