/**
 * What the components of a pipeline say about themselves for `tributary status`: every spec with
 * a `status` hook (resources, source, processors, sinks) is asked, and its answer printed under its
 * path in the file. Nothing here knows a component by name.
 */
import type { ComponentSpec, ComponentStatus, StatusContext } from '../runtime/contract/index.js';
import type { ComponentPlan, PipelinePlan } from '../runtime/config/index.js';
import { formatTable } from './format.js';

/** A component's answer, or why it could not give one (its store unreachable). */
export type ComponentStatusAnswer = ComponentStatus | { error: string };

/** The answers of the components of `plan` that have a status hook, by path (`resources.ucr`). */
export async function componentStatuses(
  plan: PipelinePlan,
  context: Omit<StatusContext, 'pipeline'>,
): Promise<Record<string, ComponentStatusAnswer>> {
  const parts: ComponentPlan<ComponentSpec>[] = [
    ...Object.values(plan.resources),
    plan.source,
    ...plan.processors,
    ...Object.values(plan.sinks),
  ];
  const answers = await Promise.all(
    parts
      .filter((part) => part.spec.status !== undefined)
      .map(async (part): Promise<[string, ComponentStatusAnswer]> => {
        const status = part.spec.status!.bind(part.spec);
        try {
          return [part.path, await status(part.config as never, { ...context, pipeline: plan.name })];
        } catch (error) {
          return [part.path, { error: error instanceof Error ? error.message : String(error) }];
        }
      }),
  );
  return Object.fromEntries(answers);
}

/** The answers as text: each component's summary or tables, under its path when there are several. */
export function formatComponentStatuses(answers: Record<string, ComponentStatusAnswer>): string {
  const blocks: string[] = [];
  for (const [path, answer] of Object.entries(answers)) {
    if ('error' in answer) {
      blocks.push(`${path}: status unknown (${answer.error})`);
      continue;
    }
    const lines = [
      ...(answer.summary === undefined ? [] : [answer.summary]),
      ...(answer.tables ?? []).map((table) => formatTable(table.columns, table.rows)),
    ];
    if (lines.length) blocks.push(lines.join('\n\n'));
  }
  return blocks.join('\n\n');
}
