/**
 * Log replay: the state of a Delta table at one version.
 *
 * Replay starts from the newest complete checkpoint at or before the target version (found by
 * listing `_delta_log`, so a stale `_last_checkpoint` is harmless) and applies the JSON commits
 * after it in order; later actions win. A log whose early JSON files were cleaned up is read from
 * its first checkpoint; versions before that are not reconstructable (DELTA_VERSION_NOT_FOUND).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SluiceError } from '../../errors/index.ts';
import type { Database } from '../../util/index.ts';
import type { Action, AddAction, DomainMetadataAction, MetadataAction, ProtocolAction } from './actions.ts';
import { logicalFileView } from './column-mapping.ts';
import { deletionVectorId, deletionVectorOf } from './deletion-vectors.ts';
import { assertReadable } from './features.ts';
import {
  type CheckpointFiles,
  commitInfoTimestamp,
  commitPath,
  type LogListing,
  listLog,
  readCheckpoint,
  readCommit,
} from './log-files.ts';
import { decodeAddPath } from './partitions.ts';
import { parseSchemaString, type StructType } from './schema.ts';

export { commitTimestamp, readCommit } from './log-files.ts';

/** An immutable view of a table at one version. */
export interface Snapshot {
  /** Absolute table root. */
  readonly tablePath: string;
  readonly version: number;
  readonly protocol: ProtocolAction;
  readonly metadata: MetadataAction;
  readonly schema: StructType;
  readonly partitionColumns: readonly string[];
  /**
   * Live files, in replay order. A logical file is keyed by its (decoded) path and the id of its
   * deletion vector: a later add or remove of the same key wins. With column mapping, partition
   * values and statistics are keyed by the columns' logical names (see {@link logFiles}).
   */
  readonly files: readonly AddAction[];
  /** The live files as the log writes them (physical column names with column mapping; else `files`). */
  readonly logFiles: readonly AddAction[];
  /** Domain metadata by domain (removed domains left out). */
  readonly domains: ReadonlyMap<string, DomainMetadataAction>;
  /** appId → latest committed txn version. */
  readonly txns: ReadonlyMap<string, number>;
  /** Milliseconds since the epoch of the commit that produced `version`. */
  readonly timestamp: number;
}

export interface LoadSnapshotOptions {
  /** Time travel: the version to load (default: latest). */
  readonly version?: number;
  /**
   * A snapshot of the same table at an older (or equal) version: only the commits after it are
   * read and applied, so following a growing table costs O(new commits), not a full replay.
   */
  readonly base?: Snapshot;
  /** Where a Parquet checkpoint is read (a database of the caller's session; else one of its own). */
  readonly db?: Database;
}

/** The newest version in the log, or undefined when there is no table (cheap: one directory listing). */
export async function latestVersion(tablePath: string): Promise<number | undefined> {
  try {
    const listing = await listLog(tablePath);
    return newestVersion(listing);
  } catch (e) {
    if (e instanceof SluiceError && e.code === 'DELTA_TABLE_NOT_FOUND') return undefined;
    throw e;
  }
}

function newestVersion(listing: LogListing): number {
  const c = listing.commits.at(-1) ?? -1;
  const k = listing.checkpoints.at(-1)?.version ?? -1;
  return Math.max(c, k);
}

/** The oldest version a snapshot can be built at: 0 when all commits exist, else the first checkpoint whose later commits are contiguous. */
function earliestReconstructableVersion(listing: LogListing): number | undefined {
  const have = new Set(listing.commits);
  const latest = newestVersion(listing);
  const starts = [...(have.has(0) ? [-1] : []), ...listing.checkpoints.map((c) => c.version)];
  for (const s of starts) {
    let ok = true;
    for (let v = s + 1; v <= latest; v++) {
      if (!have.has(v)) {
        ok = false;
        break;
      }
    }
    if (ok) return Math.max(s, 0);
  }
  return undefined;
}

/**
 * Loads the snapshot of the table at `tablePath` (latest, or `options.version`).
 * Errors: DELTA_TABLE_NOT_FOUND, DELTA_VERSION_NOT_FOUND (before the earliest reconstructable
 * version or after the latest), DELTA_CORRUPT_LOG, DELTA_CORRUPT_CHECKPOINT,
 * DELTA_UNSUPPORTED_PROTOCOL / DELTA_UNSUPPORTED_FEATURE (including any live file with a deletion vector).
 */
export async function loadSnapshot(tablePath: string, options: LoadSnapshotOptions = {}): Promise<Snapshot> {
  const table = resolve(tablePath);
  const base = options.base;
  if (
    base &&
    options.version !== undefined &&
    resolve(base.tablePath) === table &&
    base.version <= options.version
  ) {
    // Following a table to a known version: its commits after the base are all that is needed,
    // no listing (a missing commit falls through to the listing, which reports it properly).
    const extended = await extendByCommits(table, base, options.version);
    if (extended) return extended;
  }
  const listing = await listLog(table);
  const latest = newestVersion(listing);
  const target = options.version ?? latest;
  if (!Number.isInteger(target) || target < 0 || target > latest) {
    throw versionNotFound(table, target, `the latest version is ${latest}`);
  }
  const have = new Set(listing.commits);
  // Where replay can start: checkpoints ≤ target whose following commits up to target all exist,
  // newest first, then the first commit (when every commit up to target exists).
  const starts: (CheckpointFiles | undefined)[] = listing.checkpoints
    .filter((cp) => cp.version <= target && contiguous(have, cp.version + 1, target))
    .reverse();
  if (contiguous(have, 0, target)) starts.push(undefined);
  if (starts.length === 0) throw unreadableVersion(table, listing, target);

  if (
    base &&
    resolve(base.tablePath) === table &&
    base.version <= target &&
    contiguous(have, base.version + 1, target)
  ) {
    const extended = await extendByCommits(table, base, target);
    if (extended) return extended;
  }

  // A checkpoint that cannot be read is only a summary of commits: fall back to an older one,
  // or to the commits themselves, when they are still there.
  for (const [i, start] of starts.entries()) {
    try {
      return await replayFrom(table, start, target, have, options.db);
    } catch (e) {
      if (!(e instanceof SluiceError && e.code === 'DELTA_CORRUPT_CHECKPOINT') || i === starts.length - 1)
        throw e;
    }
  }
  throw unreadableVersion(table, listing, target);
}

/**
 * The snapshot at `target`, from checkpoint `start` (or the first commit) and the commits after it.
 *
 * Log compaction files (`x.y.compacted.json`) are never read instead of commits: the protocol
 * makes them optional, and writers disagree on their content (delta-kernel-rs writes every
 * action of the range newest first, not their reconciliation), while the commits are exact.
 */
async function replayFrom(
  table: string,
  start: CheckpointFiles | undefined,
  target: number,
  have: ReadonlySet<number>,
  db: Database | undefined,
): Promise<Snapshot> {
  const state = new ReplayState(table);
  let timestamp: number | undefined;
  if (start) {
    state.apply(await readCheckpoint(table, start, db));
    if (start.version === target) {
      timestamp = have.has(target)
        ? ((await commitTimestampSafe(table, target)) ?? undefined)
        : (await stat(start.files[0] as string)).mtimeMs;
    }
  }
  const first = start ? start.version + 1 : 0;
  const commits = await Promise.all(range(first, target).map((v) => readCommit(table, v)));
  for (const actions of commits) state.apply(actions);
  if (commits.length > 0) {
    const last = commits.at(-1) as Action[];
    timestamp = commitInfoTimestamp(last) ?? (await stat(commitPath(table, target))).mtimeMs;
  }
  return state.finish(target, timestamp ?? 0);
}

/**
 * The snapshot after applying the actions of commit `base.version + 1` (as its writer knows
 * them) to `base`: what `loadSnapshot` would return for that version, without reading the log.
 */
export function applyCommit(base: Snapshot, actions: readonly Action[]): Snapshot {
  const state = ReplayState.from(base);
  state.apply(actions);
  return state.finish(base.version + 1, commitInfoTimestamp(actions) ?? Date.now());
}

/** `base` plus the commits (base.version, target]; undefined when one of them does not exist. */
async function extendByCommits(table: string, base: Snapshot, target: number): Promise<Snapshot | undefined> {
  if (base.version === target) return base;
  let commits: Action[][];
  try {
    commits = await Promise.all(range(base.version + 1, target).map((v) => readCommit(table, v)));
  } catch (e) {
    if (e instanceof SluiceError && e.code === 'DELTA_VERSION_NOT_FOUND') return undefined;
    throw e;
  }
  const state = ReplayState.from(base);
  for (const actions of commits) state.apply(actions);
  const last = commits.at(-1) as Action[];
  return state.finish(target, commitInfoTimestamp(last) ?? (await stat(commitPath(table, target))).mtimeMs);
}

async function commitTimestampSafe(table: string, version: number): Promise<number | undefined> {
  const actions = await readCommit(table, version);
  return commitInfoTimestamp(actions) ?? (await stat(commitPath(table, version))).mtimeMs;
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v++) out.push(v);
  return out;
}

function contiguous(have: ReadonlySet<number>, from: number, to: number): boolean {
  for (let v = from; v <= to; v++) if (!have.has(v)) return false;
  return true;
}

/**
 * Why `target` cannot be built. Commits before a checkpoint may have been cleaned up (log
 * retention): a version before the earliest one a checkpoint still covers is not found. A commit
 * missing after the newest checkpoint at or before `target` — or with no checkpoint to stand in
 * for it — is a damaged log, named by the version that is gone.
 */
function unreadableVersion(table: string, listing: LogListing, target: number): SluiceError {
  const have = new Set(listing.commits);
  const covering = listing.checkpoints.filter((c) => c.version <= target).at(-1);
  const from = covering ? covering.version + 1 : 0;
  const gap = range(from, target).find((v) => !have.has(v));
  if (covering || listing.checkpoints.length === 0) {
    return new SluiceError(
      'DELTA_CORRUPT_LOG',
      `commit ${gap} of ${table} is missing (${String(gap).padStart(20, '0')}.json): the log has a gap there, so version ${target} cannot be read — restore the file, or rebuild the table`,
      { params: { table, version: target, missing: gap } },
    );
  }
  const earliest = earliestReconstructableVersion(listing);
  return versionNotFound(
    table,
    target,
    earliest === undefined ? 'the log has gaps' : `the earliest reconstructable version is ${earliest}`,
  );
}

function versionNotFound(table: string, version: number, why: string): SluiceError {
  return new SluiceError('DELTA_VERSION_NOT_FOUND', `version ${version} of ${table} does not exist: ${why}`, {
    params: { table, version },
  });
}

/** The replay key of a logical file: its decoded path and deletion vector id. */
function fileKey(action: { readonly path: string; readonly deletionVector?: unknown }): string {
  const dv = deletionVectorOf(action);
  const path = decodeAddPath(action.path);
  return dv ? `${path}\u0000${deletionVectorId(dv)}` : path;
}

/** Mutable accumulator for replay; `finish` freezes it into a Snapshot. */
class ReplayState {
  protocol: ProtocolAction | undefined;
  metadata: MetadataAction | undefined;
  readonly files = new Map<string, AddAction>();
  readonly txns = new Map<string, number>();
  readonly domains = new Map<string, DomainMetadataAction>();
  /** The parsed schema of `metadata` when it is still the base snapshot's (no need to parse again). */
  #schemaOf: { metadata: MetadataAction; schema: StructType } | undefined;
  /** The base snapshot's files when nothing changed them since (no need to map names again). */
  #filesOf:
    | {
        protocol: ProtocolAction;
        metadata: MetadataAction;
        logFiles: readonly AddAction[];
        files: readonly AddAction[];
      }
    | undefined;
  #filesChanged = false;

  constructor(readonly table: string) {}

  /** A replay state continuing from an existing snapshot (which stays untouched). */
  static from(s: Snapshot): ReplayState {
    const state = new ReplayState(s.tablePath);
    state.protocol = s.protocol;
    state.metadata = s.metadata;
    state.#schemaOf = { metadata: s.metadata, schema: s.schema };
    state.#filesOf = { protocol: s.protocol, metadata: s.metadata, logFiles: s.logFiles, files: s.files };
    for (const f of s.logFiles) state.files.set(fileKey(f), f);
    for (const [k, v] of s.txns) state.txns.set(k, v);
    for (const [k, v] of s.domains) state.domains.set(k, v);
    return state;
  }

  apply(actions: readonly Action[]): void {
    for (const a of actions) {
      if ('add' in a) {
        this.files.set(fileKey(a.add), a.add);
        this.#filesChanged = true;
      } else if ('remove' in a) {
        this.files.delete(fileKey(a.remove));
        this.#filesChanged = true;
      } else if ('metaData' in a) this.metadata = a.metaData;
      else if ('protocol' in a) this.protocol = a.protocol;
      else if ('txn' in a) this.txns.set(a.txn.appId, Number(a.txn.version));
      else if ('domainMetadata' in a) {
        const d = a.domainMetadata;
        if (d.removed) this.domains.delete(d.domain);
        else this.domains.set(d.domain, d);
      }
    }
  }

  finish(version: number, timestamp: number): Snapshot {
    const { protocol, metadata, table } = this;
    if (!protocol || !metadata) {
      throw new SluiceError(
        'DELTA_CORRUPT_LOG',
        `the log of ${table} has no ${protocol ? 'metaData' : 'protocol'} action up to version ${version}`,
        {
          params: { table, version },
        },
      );
    }
    assertReadable(protocol, metadata, table, version);
    const schema =
      this.#schemaOf?.metadata === metadata
        ? this.#schemaOf.schema
        : parseSchemaString(metadata.schemaString);
    const reuse =
      !this.#filesChanged && this.#filesOf?.metadata === metadata && this.#filesOf.protocol === protocol
        ? this.#filesOf
        : undefined;
    const logFiles = reuse ? reuse.logFiles : Object.freeze([...this.files.values()]);
    const logical = reuse ? undefined : logicalFileView(protocol, metadata);
    const files = reuse ? reuse.files : logical ? Object.freeze(logFiles.map(logical)) : logFiles;
    return Object.freeze({
      tablePath: table,
      version,
      protocol,
      metadata,
      schema,
      partitionColumns: Object.freeze([...metadata.partitionColumns]),
      files,
      logFiles,
      domains: this.domains,
      txns: this.txns,
      timestamp,
    });
  }
}
