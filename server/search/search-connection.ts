/**
 * The server's connection to the search engine, made on first use and again after a failed
 * attempt: the server starts (and single records answer) while the engine is down; case search
 * and the lists answer 503 with Retry-After until it is back.
 */
import { connectSearchEngine, type EngineChoice } from '../../connectors/search/create-search-engine.js';
import { SearchReader } from '../../connectors/search/search-reader.js';

export class SearchConnection {
  private connecting: Promise<SearchReader> | undefined;

  constructor(
    private readonly url: string,
    private readonly engine: EngineChoice,
    private readonly indexPrefix: string,
  ) {}

  reader(): Promise<SearchReader> {
    this.connecting ??= connectSearchEngine(this.url, this.engine)
      .then((engine) => new SearchReader(engine, this.indexPrefix))
      .catch((error: unknown) => {
        this.connecting = undefined;
        throw error;
      });
    return this.connecting;
  }

  async close(): Promise<void> {
    const connecting = this.connecting;
    this.connecting = undefined;
    await connecting?.then((reader) => reader.engine.close()).catch(() => undefined);
  }
}
