/**
 * Where the outside systems live, as the CLI read them once from the environment
 * (`connectors/endpoints.ts` reads and checks them); components take them from their context.
 */
export interface Endpoints {
  /** Kafka API brokers, host:port. */
  readonly KAFKA_BROKERS: string[];
  readonly SCHEMA_REGISTRY_URL: string;
  /** PostgreSQL: the primary store, the UCR tables, dead letters and view catalogs. */
  readonly DATABASE_URL: string;
  readonly REDIS_URL: string;
  readonly SEARCH_URL: string;
  readonly COUCHDB_URL: string;
  readonly S3_ENDPOINT: string;
  readonly S3_REGION: string;
  readonly S3_ACCESS_KEY: string;
  readonly S3_SECRET_KEY: string;
  readonly S3_BUCKET: string;
}
