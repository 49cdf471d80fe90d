import { resolve } from 'node:path';
import { SluiceError } from '../../errors/index.ts';
import type { QueryInput } from '../../model/index.ts';
import type { SourceOffset } from '../checkpoints/offsets.ts';
import type { UpdateContext } from '../update/update-context.ts';

/**
 * ``delta.`path` ``: the Delta table at a path, read like a pipeline table — a batch read sees its
 * latest version when the batch is planned, a streaming read (`STREAM delta.`path``) the rows each
 * new commit added (offsets `table-stream` / `table-snapshot`, named `delta.`path`` in them).
 */

type FilesInput = Extract<QueryInput, { kind: 'files' }>;

/** Whether a files input is a Delta table read by path. */
export function isDeltaPathInput(input: QueryInput): input is FilesInput & { format: 'delta' } {
  return input.kind === 'files' && input.format === 'delta';
}

/** The folder of the Delta table at `path` (relative to the pipeline folder `root`). */
export function deltaPathFolder(root: string, path: string): string {
  return resolve(root, path);
}

/** The name a Delta path input goes by in offsets and messages. */
export function deltaPathName(path: string): string {
  return `delta.\`${path}\``;
}

/**
 * The offset of a Delta path input for the next batch: streaming, the versions after the last
 * planned one (`previous`), and whether there are any; batch, the latest version.
 * @throws DELTA_TABLE_NOT_FOUND when there is no Delta table at the path.
 */
export async function planDeltaPathSource(
  ctx: UpdateContext,
  input: FilesInput,
  streaming: boolean,
  previous: SourceOffset | undefined,
): Promise<{ source: SourceOffset; fresh: boolean }> {
  const name = deltaPathName(input.path);
  const latest = await ctx.tables.version(deltaPathFolder(ctx.root, input.path));
  if (latest === undefined) {
    throw new SluiceError(
      'DELTA_TABLE_NOT_FOUND',
      `${name} names no Delta table: there is no _delta_log under ${input.path} (relative to the pipeline folder)`,
      { params: { path: input.path }, ...(input.location ? { location: input.location } : {}) },
    );
  }
  if (!streaming) return { source: { kind: 'table-snapshot', dataset: name, version: latest }, fresh: false };
  const fromVersion = previous?.kind === 'table-stream' ? previous.toVersion : -1;
  return {
    source: { kind: 'table-stream', dataset: name, fromVersion, toVersion: Math.max(latest, fromVersion) },
    fresh: latest > fromVersion,
  };
}
