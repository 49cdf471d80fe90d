/**
 * The Delta commit protocol: optimistic concurrency over put-if-absent commit files.
 *
 * A commit of version N is the file `_delta_log/<N padded to 20>.json`, created exclusively
 * (see {@link putIfAbsent}); a commit exists completely or not at all. When another writer
 * created N first, the winners' actions are read and checked for logical conflicts:
 * - blind appends rebase over anything that neither changed metaData/protocol nor recorded the
 *   same txn appId, and retry at the next version;
 * - a commit that read the table (not a blind append) conflicts with any winner that added or
 *   removed files; a winner's metaData/protocol change conflicts with every commit;
 * - a winner holding our txn appId at a version ≥ ours means our batch was already committed;
 * - a compaction (every add/remove with dataChange = false) rebases like a blind append, and
 *   conflicts only with a winner that removed one of the files it replaces.
 * Retries are bounded by `maxRetries`.
 */
import { join } from 'node:path';
import { SluiceError } from '../../errors/index.ts';
import type { Database } from '../../util/index.ts';
import { putIfAbsent } from '../object-store.ts';
import type {
  Action,
  CommitInfoAction,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
  TxnAction,
} from './actions.ts';
import { writeCheckpoint } from './checkpoint-write.ts';
import { commitInfoTimestamp } from './log-files.ts';
import { loadSnapshot, readCommit, type Snapshot } from './snapshot.ts';
import { checkpointIntervalProperty } from './table-properties.ts';
import { assertWritable, inCommitTimestampsEnabled, type WriteTarget } from './writer-features.ts';

/** The `engineInfo` recorded in every commitInfo. */
export const ENGINE_INFO = 'sluice/0.1.0';

/** Default number of commits between two checkpoints (`delta.checkpointInterval`). */
export const DEFAULT_CHECKPOINT_INTERVAL = 10;

/** Default bound on commit attempts; each failed attempt reads exactly one winning commit. */
export const DEFAULT_MAX_RETRIES = 1000;

/** `_delta_log/<20-digit version>.json` for a table. */
export function commitFilePath(tablePath: string, version: number): string {
  return join(tablePath, '_delta_log', `${String(version).padStart(20, '0')}.json`);
}

export interface CommitOptions {
  /** The version the actions were computed against; -1 when creating the table. */
  readonly readVersion: number;
  /** commitInfo.operation, e.g. 'WRITE', 'CREATE TABLE', 'STREAMING UPDATE'. */
  readonly operation: string;
  readonly operationParameters?: Readonly<Record<string, unknown>>;
  /** Merged over the metrics computed from the actions (numFiles, numOutputRows, …). */
  readonly operationMetrics?: Readonly<Record<string, unknown>>;
  /**
   * True when the commit only adds files and did not read the table (an append). Defaults to
   * "only add/txn/commitInfo actions". Only blind appends rebase over concurrent data changes.
   */
  readonly isBlindAppend?: boolean;
  /** Idempotent-write marker stored as a `txn` action. */
  readonly txn?: { readonly appId: string; readonly version: number };
  readonly maxRetries?: number;
  /**
   * Write a checkpoint after committing a version divisible by this (default: the table's
   * `delta.checkpointInterval`, else 10). 0 disables checkpoints.
   */
  readonly checkpointInterval?: number;
  /** Extra commitInfo fields (engine-specific, e.g. a batch's data-quality counts), merged last. */
  readonly commitInfo?: Readonly<Record<string, unknown>>;
  /** fsync commit files (default true). */
  readonly durable?: boolean;
  /**
   * The snapshot the actions were computed against (at `readVersion` or older), when the caller
   * has it: a checkpoint written after this commit then extends it by the newer commits instead
   * of replaying the log from the previous checkpoint.
   */
  readonly snapshot?: Snapshot;
  /**
   * When set, a due checkpoint is not written before `commit` returns: this receives a function
   * that writes it, for the caller to run when it likes (e.g. in the background, awaited before
   * the process ends). A checkpoint only speeds up readers; the commit is complete without it,
   * and a checkpoint interrupted by a crash leaves at most a temp file that readers ignore.
   */
  readonly deferCheckpoint?: (write: () => Promise<void>) => void;
  /** The session's database, for writing a due checkpoint (else one is opened for it). */
  readonly db?: Database;
}

export interface CommitResult {
  readonly version: number;
  /** Attempts used (1 = no conflict). */
  readonly attempts: number;
  /** Set when the commit landed but the follow-up checkpoint could not be written. */
  readonly checkpointError?: SluiceError;
  /** The actions exactly as written to the commit file (commitInfo first, then the rest, then txn). */
  readonly actions: readonly Action[];
}

/** The metrics Spark records for a write, derived from the actions. */
function derivedMetrics(actions: readonly Action[]): Record<string, unknown> {
  let numFiles = 0;
  let numOutputRows = 0;
  let numOutputBytes = 0;
  let numRemovedFiles = 0;
  let numRemovedBytes = 0;
  for (const a of actions) {
    if ('add' in a) {
      numFiles++;
      numOutputBytes += a.add.size;
      if (a.add.stats)
        numOutputRows += Number((JSON.parse(a.add.stats) as { numRecords?: number }).numRecords ?? 0);
    } else if ('remove' in a) {
      numRemovedFiles++;
      numRemovedBytes += a.remove.size ?? 0;
    }
  }
  const m: Record<string, unknown> = { numFiles, numOutputRows, numOutputBytes };
  if (numRemovedFiles > 0) Object.assign(m, { numRemovedFiles, numRemovedBytes });
  return m;
}

type Conflict = {
  kind: 'metadata' | 'protocol' | 'data' | 'txn' | 'delete';
  detail: Record<string, unknown>;
};

/** Why a winning commit invalidates ours, or undefined when we can rebase over it. */
function findConflict(
  winner: readonly Action[],
  ours: { blindAppend: boolean; txn?: TxnAction; removes: ReadonlySet<string>; changesMetadata: boolean },
): Conflict | undefined {
  for (const a of winner) {
    if ('metaData' in a) return { kind: 'metadata', detail: {} };
    if ('protocol' in a) return { kind: 'protocol', detail: {} };
    if (
      'txn' in a &&
      ours.txn !== undefined &&
      a.txn.appId === ours.txn.appId &&
      a.txn.version >= ours.txn.version
    ) {
      return { kind: 'txn', detail: { appId: a.txn.appId, txnVersion: a.txn.version } };
    }
  }
  for (const a of winner) {
    if ('remove' in a && ours.removes.has(a.remove.path))
      return { kind: 'delete', detail: { path: a.remove.path } };
    if (ours.changesMetadata && ('add' in a || 'remove' in a)) return { kind: 'data', detail: {} };
    if (!ours.blindAppend && (('add' in a && a.add.dataChange) || ('remove' in a && a.remove.dataChange))) {
      return { kind: 'data', detail: {} };
    }
  }
  return undefined;
}

/**
 * The checkpoint interval in force for this commit: the option, else `delta.checkpointInterval`
 * of the metaData this commit writes (when it writes one), else of the table as the caller read
 * it (`opts.snapshot`), else the default. A caller committing without a snapshot and without a
 * metaData action gets the default: give `snapshot` (or `checkpointInterval`) to honour the table.
 */
function checkpointIntervalOf(actions: readonly Action[], opts: CommitOptions): number {
  if (opts.checkpointInterval !== undefined) return opts.checkpointInterval;
  let metadata = opts.snapshot?.metadata;
  for (const a of actions) if ('metaData' in a) metadata = a.metaData;
  return checkpointIntervalProperty(metadata) ?? DEFAULT_CHECKPOINT_INTERVAL;
}

/**
 * Commits `actions` as the next version after `opts.readVersion` (plus a commitInfo and, with
 * `opts.txn`, a txn action). Returns the version written.
 *
 * @throws SluiceError DELTA_TABLE_EXISTS when creating (readVersion -1) and version 0 exists;
 *   DELTA_CONCURRENT_MODIFICATION on a logical conflict (`params.conflict` is 'metadata',
 *   'protocol', 'data', 'delete' or 'txn' — for 'txn', `params.appId`/`params.txnVersion` say
 *   the batch is already committed); DELTA_COMMIT_RETRIES_EXHAUSTED after `maxRetries`.
 */
export async function commit(
  tablePath: string,
  actions: readonly Action[],
  opts: CommitOptions,
): Promise<CommitResult> {
  const onlyAdds = actions.every((a) => 'add' in a || 'txn' in a || 'commitInfo' in a);
  const blindAppend = opts.isBlindAppend ?? onlyAdds;
  // A commit whose adds and removes all have dataChange = false (compaction) rewrites rows that
  // stay the same: data a winner added or removed elsewhere cannot invalidate it, only a winner
  // that removed one of the files it replaces (or changed metaData/protocol).
  const rearranges =
    actions.some((a) => 'add' in a || 'remove' in a) &&
    actions.every(
      (a) =>
        ('add' in a && !a.add.dataChange) || ('remove' in a && !a.remove.dataChange) || 'commitInfo' in a,
    );
  const txn: TxnAction | undefined =
    opts.txn === undefined
      ? undefined
      : { appId: opts.txn.appId, version: opts.txn.version, lastUpdated: Date.now() };
  assertTxnNotHeld(tablePath, txn, opts);
  const withInCommitTimestamps = await checkWriterFeatures(tablePath, actions, opts);
  // In-commit timestamps increase strictly from commit to commit.
  let previousTimestamp =
    withInCommitTimestamps && opts.readVersion >= 0
      ? opts.snapshot?.version === opts.readVersion
        ? opts.snapshot.timestamp
        : (commitInfoTimestamp(await readCommit(tablePath, opts.readVersion)) ?? 0)
      : undefined;
  const removes = new Set(
    actions.filter((a): a is { remove: RemoveAction } => 'remove' in a).map((a) => a.remove.path),
  );
  const changesMetadata = actions.some((a) => 'metaData' in a || 'protocol' in a);
  const body = actions.filter((a) => !('commitInfo' in a));
  const commitInfo: CommitInfoAction = {
    timestamp: Date.now(),
    operation: opts.operation,
    operationParameters: opts.operationParameters ?? {},
    operationMetrics: { ...derivedMetrics(body), ...opts.operationMetrics },
    ...(opts.readVersion >= 0 ? { readVersion: opts.readVersion } : {}),
    isolationLevel: 'WriteSerializable',
    isBlindAppend: blindAppend,
    engineInfo: ENGINE_INFO,
    ...(txn !== undefined ? { txnId: `${txn.appId}:${txn.version}` } : {}),
    ...opts.commitInfo,
  };
  const maxRetries = opts.maxRetries ?? DEFAULT_MAX_RETRIES;
  let version = opts.readVersion + 1;
  for (let attempt = 1; ; attempt++) {
    // commitInfo first, as Spark writes it (in-commit timestamps readers look at line 1).
    const info: CommitInfoAction = withInCommitTimestamps
      ? {
          ...commitInfo,
          inCommitTimestamp: Math.max(commitInfo.timestamp ?? Date.now(), (previousTimestamp ?? 0) + 1),
        }
      : commitInfo;
    const lines: Action[] = [{ commitInfo: info }, ...body, ...(txn !== undefined ? [{ txn }] : [])];
    const text = `${lines.map((a) => JSON.stringify(a)).join('\n')}\n`;
    if (await putIfAbsent(commitFilePath(tablePath, version), text, { durable: opts.durable ?? true })) {
      const checkpointError = await checkpointAfter(tablePath, version, actions, opts);
      return { version, attempts: attempt, actions: lines, ...(checkpointError ? { checkpointError } : {}) };
    }
    if (opts.readVersion < 0) {
      throw new SluiceError('DELTA_TABLE_EXISTS', `a Delta table already exists at ${tablePath}`, {
        params: { table: tablePath },
      });
    }
    const winner = await readCommit(tablePath, version);
    if (withInCommitTimestamps) previousTimestamp = commitInfoTimestamp(winner) ?? previousTimestamp;
    const conflict = findConflict(winner, {
      blindAppend: blindAppend || rearranges,
      ...(txn ? { txn } : {}),
      removes,
      changesMetadata,
    });
    if (conflict !== undefined) throw conflictError(tablePath, version, opts, conflict);
    if (attempt >= maxRetries) {
      throw new SluiceError(
        'DELTA_COMMIT_RETRIES_EXHAUSTED',
        `gave up committing to ${tablePath} after ${attempt} attempts (last tried version ${version})`,
        { params: { table: tablePath, attempts: attempt, version } },
      );
    }
    version++;
  }
}

/** Belt and braces for idempotent writers: a txn version the table already holds is never committed twice, even when the caller's own check raced with another writer. */
function assertTxnNotHeld(tablePath: string, txn: TxnAction | undefined, opts: CommitOptions): void {
  const held = txn && opts.snapshot?.txns.get(txn.appId);
  if (!txn || held === undefined || held < txn.version) return;
  throw new SluiceError(
    'DELTA_CONCURRENT_MODIFICATION',
    `transaction ${txn.appId} version ${txn.version} was already committed to ${tablePath} (the table holds version ${held} of it)`,
    {
      params: {
        table: tablePath,
        readVersion: opts.readVersion,
        conflict: 'txn',
        appId: txn.appId,
        txnVersion: held,
      },
    },
  );
}

/**
 * The table's writer features, before and after this commit: every one must be honoured (else
 * the refusal `assertWritable` throws). Returns whether the commit carries in-commit timestamps.
 */
async function checkWriterFeatures(
  tablePath: string,
  actions: readonly Action[],
  opts: CommitOptions,
): Promise<boolean> {
  const base: WriteTarget | undefined =
    opts.snapshot ??
    (opts.readVersion >= 0
      ? await loadSnapshot(tablePath, { version: opts.readVersion, ...(opts.db ? { db: opts.db } : {}) })
      : undefined);
  const newProtocol = actions.find((a): a is { protocol: ProtocolAction } => 'protocol' in a)?.protocol;
  const newMetadata = actions.find((a): a is { metaData: MetadataAction } => 'metaData' in a)?.metaData;
  if (base) assertWritable({ ...base, tablePath }, actions, writeVerb(opts.operation));
  const after =
    newProtocol || newMetadata
      ? base || (newProtocol && newMetadata)
        ? {
            tablePath,
            protocol: newProtocol ?? (base as WriteTarget).protocol,
            metadata: newMetadata ?? (base as WriteTarget).metadata,
          }
        : undefined
      : base;
  if (after && after !== base) assertWritable(after, actions, writeVerb(opts.operation));
  return after !== undefined && inCommitTimestampsEnabled(after);
}

/**
 * The checkpoint a committed version calls for (every `delta.checkpointInterval` versions):
 * deferred to the caller when it asks, else written now; a failure is returned, not thrown (the
 * commit stands).
 */
async function checkpointAfter(
  tablePath: string,
  version: number,
  actions: readonly Action[],
  opts: CommitOptions,
): Promise<SluiceError | undefined> {
  const interval = checkpointIntervalOf(actions, opts);
  if (!(interval > 0 && version > 0 && version % interval === 0)) return undefined;
  const base = { ...(opts.snapshot ? { base: opts.snapshot } : {}), ...(opts.db ? { db: opts.db } : {}) };
  if (opts.deferCheckpoint) {
    opts.deferCheckpoint(async () => {
      await writeCheckpoint(tablePath, version, undefined, base);
    });
    return undefined;
  }
  try {
    await writeCheckpoint(tablePath, version, undefined, base);
    return undefined;
  } catch (e) {
    return e instanceof SluiceError
      ? e
      : new SluiceError('IO_ERROR', `checkpoint ${version} of ${tablePath} failed: ${(e as Error).message}`, {
          params: { table: tablePath, version },
          cause: e,
        });
  }
}

/** DELTA_CONCURRENT_MODIFICATION for the winner's conflict with this commit. */
function conflictError(
  tablePath: string,
  version: number,
  opts: CommitOptions,
  conflict: NonNullable<ReturnType<typeof findConflict>>,
): SluiceError {
  return new SluiceError(
    'DELTA_CONCURRENT_MODIFICATION',
    conflict.kind === 'txn'
      ? `transaction ${String(conflict.detail.appId)} version ${String(conflict.detail.txnVersion)} was already committed to ${tablePath} (version ${version})`
      : `a concurrent commit (version ${version}) of ${tablePath} conflicts with this ${opts.operation}: ${conflict.kind} changed`,
    {
      params: {
        table: tablePath,
        version,
        readVersion: opts.readVersion,
        conflict: conflict.kind,
        ...conflict.detail,
      },
    },
  );
}

/** How messages name a commit's operation ("cannot <verb> Delta table …"). */
function writeVerb(operation: string): string {
  switch (operation) {
    case 'OPTIMIZE':
      return 'compact';
    case 'TRUNCATE':
      return 'truncate';
    case 'ADD COLUMNS':
      return 'add columns to';
    default:
      return 'write to';
  }
}
