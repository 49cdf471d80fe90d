/**
 * V2 spec checkpoints: a checkpoint (UUID-named `n.checkpoint.<uuid>.json|parquet`, or
 * classic-named `n.checkpoint.parquet`) holding exactly one `checkpointMetadata` action, the
 * non-file actions, and either its file actions or `sidecar` actions naming Parquet files under
 * `_delta_log/_sidecars/` that hold them (all of them: never some inline and some in sidecars).
 *
 * Reading one: the checkpoint's rows, then the `add` rows of every sidecar (remove tombstones do
 * not affect the live files). A checkpoint breaking these rules is corrupt, so log replay falls
 * back to an older starting point.
 */
import { isAbsolute, join } from 'node:path';
import type { Action, CheckpointAction, CheckpointMetadataAction, SidecarAction } from './actions.ts';
import { decodeAddPath } from './partitions.ts';

/** The rows of a checkpoint, split into snapshot actions and the v2-only ones. */
export interface CheckpointParts {
  readonly actions: Action[];
  readonly sidecars: readonly SidecarAction[];
  readonly metadata?: CheckpointMetadataAction;
}

/**
 * Splits the rows of checkpoint `version` into snapshot actions, sidecars and its
 * `checkpointMetadata`. Throws a plain Error when the rows break the v2 spec (several
 * checkpointMetadata actions or one for another version, sidecars without one, file actions both
 * inline and in sidecars); the caller reports it as a corrupt checkpoint.
 */
export function splitCheckpointRows(rows: readonly CheckpointAction[], version: number): CheckpointParts {
  const actions: Action[] = [];
  const sidecars: SidecarAction[] = [];
  let metadata: CheckpointMetadataAction | undefined;
  let fileActions = false;
  for (const row of rows) {
    if ('checkpointMetadata' in row) {
      if (metadata) throw new Error('more than one checkpointMetadata action');
      metadata = row.checkpointMetadata;
      if (Number(metadata.version) !== version) {
        throw new Error(`its checkpointMetadata says version ${metadata.version}`);
      }
    } else if ('sidecar' in row) {
      sidecars.push(row.sidecar);
    } else {
      if ('add' in row || 'remove' in row) fileActions = true;
      actions.push(row);
    }
  }
  if (sidecars.length > 0 && !metadata) throw new Error('sidecar actions without checkpointMetadata');
  if (sidecars.length > 0 && fileActions)
    throw new Error('file actions both in the checkpoint and in sidecars');
  return { actions, sidecars, ...(metadata ? { metadata } : {}) };
}

/** Absolute paths of sidecar files: a bare name (or relative path) is under `_delta_log/_sidecars/`. */
export function sidecarFiles(tablePath: string, sidecars: readonly SidecarAction[]): string[] {
  return sidecars.map((s) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(s.path) && !s.path.startsWith('file:')) {
      throw new Error(`sidecar ${s.path} is not on the local file system`);
    }
    const p = decodeAddPath(s.path);
    return isAbsolute(p) ? p : join(tablePath, '_delta_log', '_sidecars', p);
  });
}
