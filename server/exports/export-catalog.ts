/**
 * Where export configurations come from: JSON files under a folder (`pipelines/exports/` by default)
 * and `FormExportInstance`/`CaseExportInstance` documents in CouchDB, like UCR configurations. Read
 * on every request (they are small), so an edited or broken file takes effect at the next start.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExportConfigError, parseExportInstance, type ExportInstance } from '../../commcare/exports/index.js';

export interface ExportCatalogOptions {
  folder: string;
  /** CouchDB server and database holding ExportInstance documents; undefined: files only. */
  couchUrl?: string;
  couchDatabase?: string;
}

export interface ExportListing {
  id: string;
  name: string;
  kind: 'case' | 'form';
  format: string;
  isDailySaved: boolean;
  description: string;
  origin: string;
  /** Set when the configuration cannot be used. */
  error?: string;
}

type Raw = { origin: string; value: unknown };

export class ExportCatalog {
  constructor(private readonly options: ExportCatalogOptions) {}

  private async files(): Promise<Raw[]> {
    const names = await readdir(this.options.folder).catch(() => [] as string[]);
    return Promise.all(
      names
        .filter((name) => name.endsWith('.json'))
        .sort()
        .map(async (name) => {
          const origin = join(this.options.folder, name);
          const text = await readFile(origin, 'utf8');
          try {
            return { origin, value: JSON.parse(text) as unknown };
          } catch (error) {
            return { origin, value: { __unreadable: (error as Error).message } };
          }
        }),
    );
  }

  private async couchDocs(domain: string): Promise<Raw[]> {
    const { couchUrl, couchDatabase } = this.options;
    if (!couchUrl || !couchDatabase) return [];
    const url = new URL(`${encodeURIComponent(couchDatabase)}/_find`, couchUrl.replace(/\/?$/, '/'));
    url.username = '';
    url.password = '';
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        selector: { domain, doc_type: { $in: ['FormExportInstance', 'CaseExportInstance'] } },
        limit: 1000,
      }),
      signal: AbortSignal.timeout(10_000),
    }).catch(() => null);
    if (!response?.ok) return [];
    const body = (await response.json()) as { docs?: Record<string, unknown>[] };
    return (body.docs ?? []).map((doc) => ({
      origin: `couchdb:${couchDatabase}/${String(doc._id)}`,
      value: doc,
    }));
  }

  private async all(domain: string): Promise<Raw[]> {
    const [files, docs] = await Promise.all([this.files(), this.couchDocs(domain)]);
    return [...files, ...docs].filter((raw) => {
      const value = raw.value as { domain?: unknown; __unreadable?: unknown };
      return value.__unreadable !== undefined || value.domain === domain;
    });
  }

  private static parse(raw: Raw): ExportInstance {
    const value = raw.value as { __unreadable?: string };
    if (value.__unreadable) throw new ExportConfigError(raw.origin, '', `not JSON: ${value.__unreadable}`);
    return parseExportInstance(raw.value, raw.origin);
  }

  /** The domain's exports, each parsed; a broken one is listed with its error. */
  async list(domain: string): Promise<ExportListing[]> {
    return (await this.all(domain)).map((raw) => {
      const value = raw.value as Record<string, unknown>;
      try {
        const instance = ExportCatalog.parse(raw);
        return {
          id: instance._id,
          name: instance.name,
          kind: instance.doc_type === 'CaseExportInstance' ? ('case' as const) : ('form' as const),
          format: instance.export_format,
          isDailySaved: instance.is_daily_saved_export,
          description: instance.description,
          origin: raw.origin,
        };
      } catch (error) {
        return {
          id: typeof value._id === 'string' ? value._id : raw.origin,
          name: typeof value.name === 'string' ? value.name : raw.origin,
          kind: value.doc_type === 'FormExportInstance' ? ('form' as const) : ('case' as const),
          format: typeof value.export_format === 'string' ? value.export_format : 'xlsx',
          isDailySaved: value.is_daily_saved_export === true,
          description: '',
          origin: raw.origin,
          error: (error as Error).message,
        };
      }
    });
  }

  /** The export, parsed; null when the domain has none with this id; throws ExportConfigError when broken. */
  async get(domain: string, id: string): Promise<ExportInstance | null> {
    const raw = (await this.all(domain)).find((r) => (r.value as { _id?: unknown })._id === id);
    return raw ? ExportCatalog.parse(raw) : null;
  }

  /** Every daily saved export of every domain in the folder (CouchDB ones are found per domain). */
  async dailySaved(): Promise<ExportInstance[]> {
    const out: ExportInstance[] = [];
    for (const raw of await this.files()) {
      try {
        const instance = ExportCatalog.parse(raw);
        if (instance.is_daily_saved_export) out.push(instance);
      } catch {
        // Listed with its error on the exports page; the scheduler skips it.
      }
    }
    return out;
  }
}
