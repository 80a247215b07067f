/**
 * Follows the `configs` topic (Avro `ConfigDocument` change events) for UCR data source
 * configurations, so that one edited in CouchDB takes effect while forms keep arriving. The topic
 * is compacted and holds the latest configuration per document: every process reads it whole from
 * the beginning, in a consumer group of its own, and never commits.
 */
import { randomBytes } from 'node:crypto';
import type { ComponentContext } from '../../runtime/contract/index.js';
import type { ConfigDocument } from '../../schemas/generated/config-document.js';
import type { GroupConsumer } from '../kafka/kafka-client.js';
import { defaultKafkaLibrary, kafkaClient } from '../kafka/kafka-resources.js';
import { valueSerde } from '../kafka/value-format.js';
import type { ConfigApply } from '../views/config-folder.js';

/** The doc type of a UCR data source configuration in the config store. */
export const dataSourceDocType = 'DataSourceConfiguration';

export class UcrConfigsConsumer {
  private consumer: GroupConsumer | undefined;
  private readonly versions = new Map<string, number>();

  constructor(
    private readonly topic: string,
    private readonly apply: ConfigApply,
    private readonly ctx: ComponentContext,
  ) {}

  async start(): Promise<void> {
    const client = await kafkaClient(this.ctx.resources, defaultKafkaLibrary, [
      ...this.ctx.endpoints.KAFKA_BROKERS,
    ]);
    const serde = await valueSerde({ format: 'avro', schemaOf: 'configs' }, this.topic, this.ctx);
    this.consumer = client.consumer({
      groupId: `tributary-ucr-configs-${this.ctx.pipeline}-${randomBytes(4).toString('hex')}`,
      topics: [this.topic],
      fromBeginning: true,
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 3_000,
      rebalanceTimeoutMs: 60_000,
      maxBytes: 4 * 1024 * 1024,
      partitionsInFlight: 1,
      clientId: `tributary-${this.ctx.pipeline}-ucr-configs`,
    });
    await this.consumer.start({
      onBatch: async (batch) => {
        for (const message of batch.messages) {
          if (message.value === null) continue;
          let event: ConfigDocument;
          try {
            event = (await serde.decode(message.value)) as ConfigDocument;
          } catch (error) {
            this.ctx.logger.warn(
              { topic: this.topic, offset: message.offset, error: (error as Error).message },
              'Skipped a configs record that cannot be decoded.',
            );
            continue;
          }
          await this.handle(event);
        }
      },
    });
  }

  /** Applies one change of a data source configuration; older versions than one applied are skipped. */
  private async handle(event: ConfigDocument): Promise<void> {
    if (event.doc_type !== dataSourceDocType && !event.doc_type.startsWith(`${dataSourceDocType}-`)) return;
    const seen = this.versions.get(event.doc_id);
    if (seen !== undefined && seen >= event.version) return;
    this.versions.set(event.doc_id, event.version);
    const origin = `configs:${event.doc_id}`;
    if (event.deleted || event.doc_type.endsWith('-Deleted')) {
      await this.apply(origin, null);
      return;
    }
    // The event's flag is the config store's; the definition may predate it.
    await this.apply(origin, {
      ...event.definition,
      is_deactivated: event.is_deactivated || event.definition.is_deactivated === true,
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }
}
