/**
 * The snapshot source of an AUTO CDC FROM SNAPSHOT flow given as a function: calling it with the
 * last processed version, checking what it gives, and turning its query into the flow's inputs.
 *
 *   last committed offset ─ version ─► function ─► { sql, version } | nothing
 *     ─ check: version > last version
 *     ─ compile sql (Spark → DuckDB); its inputs must be files / Delta paths read in batch
 *     ─ pin the inputs (file listings, Delta versions) and record sql + version in the offset
 *       before anything is read, so a replay never calls the function again
 */

import { asSluiceError, SluiceError } from '../../errors/index.ts';
import type { BoundQuery, FlowPlan, LeafInput } from '../../graph/index.ts';
import type { NextSnapshot, SnapshotVersion } from '../../model/index.ts';
import type { SnapshotFunctionOffset } from '../checkpoints/offsets.ts';
import type { UpdateContext } from '../update/update-context.ts';

/** The version an offset records, as the function gave it. */
export function recordedVersion(s: SnapshotFunctionOffset): SnapshotVersion {
  return s.versionType === 'bigint' ? BigInt(s.version) : Number(s.version);
}

/**
 * Calls the flow's snapshot function with the last processed version and checks the version
 * it gives increases; undefined when there is no next snapshot.
 * @throws SluiceError AUTO_CDC_SNAPSHOT_VERSION_NOT_INCREASING, and what the function raises
 *   (AUTO_CDC_SNAPSHOT_FUNCTION_INVALID, AUTO_CDC_SNAPSHOT_FUNCTION_FAILED).
 */
export async function callSnapshotFunction(
  ctx: UpdateContext,
  f: FlowPlan,
  last: SnapshotFunctionOffset | undefined,
): Promise<(NextSnapshot & { readonly offset: SnapshotFunctionOffset }) | undefined> {
  const cdc = f.flow.snapshotCdc!;
  const latest = last === undefined ? undefined : recordedVersion(last);
  let next: NextSnapshot | undefined;
  try {
    next = await cdc.nextSnapshot!(latest, ctx.configuration);
  } catch (e) {
    // The function (and its checks) ran in the module copy the pipeline file imported.
    throw asSluiceError(e, 'AUTO_CDC_SNAPSHOT_FUNCTION_FAILED');
  }
  if (next === undefined) return undefined;
  const version = BigInt(next.version);
  if (last !== undefined && version <= BigInt(last.version)) {
    throw new SluiceError(
      'AUTO_CDC_SNAPSHOT_VERSION_NOT_INCREASING',
      `the snapshot function of flow '${f.flow.name}' returned version ${version} after version ${last.version}; each snapshot's version must be greater than the last one processed`,
      { dataset: f.target.name, params: { flow: f.flow.name, version: String(version), last: last.version } },
    );
  }
  return {
    ...next,
    offset: {
      version: String(version),
      versionType: typeof next.version === 'bigint' ? 'bigint' : 'number',
      sql: next.sql,
    },
  };
}

/**
 * The flow's plan with the snapshot query `sql` as its query: compiled by the session's SQL
 * front end, its inputs the leaves (keys as the graph numbers them). The same text compiles to
 * the same plan, so a replay of a recorded offset binds the same leaves.
 * @throws SluiceError AUTO_CDC_SNAPSHOT_FUNCTION_INVALID when the query reads a dataset (a
 *   pipeline's or an unknown one) or a stream; the compiler's codes when it does not compile
 *   (UNALIASED_EXPRESSION for an unnamed computed column).
 */
export async function snapshotQueryPlan(ctx: UpdateContext, f: FlowPlan, sql: string): Promise<FlowPlan> {
  const cdc = f.flow.snapshotCdc!;
  // The snapshot's columns become the target's: every one named as a dataset query's must be
  // (an unaliased computed item is UNALIASED_EXPRESSION), refused before anything is read.
  const query = await ctx.sql.compileQuery(sql, {
    output: 'dataset',
    configuration: ctx.configuration,
    ...(cdc.location ? { location: cdc.location } : {}),
  });
  const leaves: LeafInput[] = query.inputs.map((input, index) => {
    if (input.kind !== 'files' || input.streaming) {
      const what =
        input.kind === 'dataset'
          ? `dataset '${input.name}'${input.streaming ? ' as a stream' : ''}`
          : `'${input.path}' as a stream`;
      throw new SluiceError(
        'AUTO_CDC_SNAPSHOT_FUNCTION_INVALID',
        `the snapshot query of flow '${f.flow.name}' reads ${what}; a snapshot function's query reads files (readFiles) or Delta tables by path (delta.\`path\`), in batch — for a snapshot of a pipeline dataset give its name as source`,
        { dataset: f.target.name, params: { flow: f.flow.name, sql } },
      );
    }
    return { key: String(index), input, streaming: false };
  });
  const bound: BoundQuery = {
    key: '',
    query,
    children: leaves.map((leaf, index) => ({ kind: 'leaf', index, leaf })),
  };
  return { ...f, bound, leaves, upstream: [] };
}
