import { parseDocument } from 'yaml';
import { isObject } from '../runtime/contract/index.js';

export interface PipelineRename {
  /** The pipeline's name this run; also its consumer group and dead-letter topic prefix. */
  name: string;
  /** Topic names this run, by the name the file uses (`forms` → `bench_ingest_ab12.forms`). */
  topics: Readonly<Record<string, string>>;
  /** Folder of this run's UCR data source configurations, for every `ucr-catalog` resource. */
  ucrConfigFolder?: string;
  /** More settings for every `ucr-catalog` resource (e.g. `buildStartDelayMs: 0` for one worker). */
  ucrCatalogSettings?: Readonly<Record<string, unknown>>;
}

/**
 * A shipped pipeline file made safe to run beside other runs: its own name and consumer group,
 * its own topics (`${FORMS_TOPIC:-forms}` style defaults are resolved to the run's topic first),
 * its own dead-letter topic, and the run's UCR config folder (read once, no polling). Everything
 * else is kept as written, comments included. Throws when the file is not a pipeline mapping.
 */
export function preparePipeline(text: string, rename: PipelineRename): string {
  const withTopics = text.replace(
    /\$\{([A-Z0-9_]+):-([^}]*)\}/g,
    (whole, _name: string, fallback: string) => rename.topics[fallback] ?? whole,
  );
  const document = parseDocument(withTopics);
  const pipeline: unknown = document.toJS();
  if (!isObject(pipeline)) throw new Error('the pipeline file is not a mapping');
  document.set('name', rename.name);
  const source = pipeline.source;
  if (isObject(source) && source.type === 'kafka') {
    document.setIn(['source', 'group'], rename.name);
    if (Array.isArray(source.topics))
      document.setIn(
        ['source', 'topics'],
        (source.topics as unknown[]).map((topic) =>
          typeof topic === 'string' ? (rename.topics[topic] ?? topic) : topic,
        ),
      );
  }
  if (isObject(pipeline.deadLetter) && typeof pipeline.deadLetter.topic === 'string')
    document.setIn(['deadLetter', 'topic'], `${rename.name}.dead-letter`);
  if (rename.ucrConfigFolder && isObject(pipeline.resources))
    for (const [key, resource] of Object.entries(pipeline.resources)) {
      if (!isObject(resource) || resource.type !== 'ucr-catalog') continue;
      document.setIn(['resources', key, 'configFolder'], rename.ucrConfigFolder);
      document.setIn(['resources', key, 'configPollMs'], 0);
      for (const [setting, value] of Object.entries(rename.ucrCatalogSettings ?? {}))
        document.setIn(['resources', key, setting], value);
    }
  return document.toString();
}
