/**
 * The resources a pipeline file declares, created once per pipeline through their specs, started
 * before the sinks and closed after every component, in reverse order. Components reach them by
 * name through their context; a bounded run may stand other instances in for some of them.
 */
import {
  BadConfigError,
  type Resource,
  type ResourceContext,
  type ResourceType,
  type ViewBuild,
} from '../contract/index.js';
import type { PipelinePlan } from '../config/index.js';

interface Entry {
  type: string;
  instance: unknown;
  /** Whether this set created it (and so starts and closes it). */
  owned: boolean;
}

export class DeclaredResources {
  private started: Resource[] = [];

  private constructor(private readonly entries: ReadonlyMap<string, Entry>) {}

  /** Creates every resource of the plan, in the order of the file. */
  static async create(
    plan: PipelinePlan,
    contextFor: (name: string, path: string) => ResourceContext,
  ): Promise<DeclaredResources> {
    const entries = new Map<string, Entry>();
    for (const [name, part] of Object.entries(plan.resources)) {
      const instance = await part.spec.create(part.config as never, contextFor(name, part.path));
      entries.set(name, { type: part.type, instance, owned: true });
    }
    return new DeclaredResources(entries);
  }

  /** The same resources with `overrides` standing in for some of them; starts and closes none of them. */
  with(overrides: Readonly<Record<string, unknown>>): DeclaredResources {
    const entries = new Map<string, Entry>();
    for (const [name, entry] of this.entries) {
      entries.set(name, {
        type: entry.type,
        instance: name in overrides ? overrides[name] : entry.instance,
        owned: false,
      });
    }
    return new DeclaredResources(entries);
  }

  /** Every build the declared resources are running in this process. */
  builds(): ViewBuild[] {
    return [...this.entries.values()].flatMap((entry) => (entry.instance as Resource).builds?.() ?? []);
  }

  get<T>(type: ResourceType<T>, name: string): T {
    const entry = this.entries.get(name);
    if (!entry) throw new BadConfigError(name, `no resource named '${name}' in this pipeline`);
    if (entry.type !== type.name)
      throw new BadConfigError(name, `resource '${name}' is a ${entry.type}; expected a ${type.name}`);
    return entry.instance as T;
  }

  async start(): Promise<void> {
    for (const entry of this.entries.values()) {
      if (!entry.owned) continue;
      const resource = entry.instance as Resource;
      await resource.start?.();
      this.started.push(resource);
    }
  }

  /** Closes what this set created (started or not), last first; never throws. */
  async close(): Promise<void> {
    const owned = [...this.entries.values()].filter((e) => e.owned).map((e) => e.instance as Resource);
    for (const resource of owned.reverse()) await resource.close?.().catch(() => undefined);
    this.started = [];
  }
}
