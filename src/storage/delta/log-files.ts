/**
 * The `_delta_log/` directory: listing commits, checkpoints and log compaction files, reading one
 * JSON commit, and reading a checkpoint — classic (optionally multi-part) Parquet, or a v2 spec
 * one (UUID-named JSON or Parquet, or classic-named) whose file actions may sit in sidecar files
 * (v2-checkpoint.ts) — through DuckDB.
 *
 * Invariant: the directory listing is the source of truth. `_last_checkpoint` is only a hint
 * and may be stale or missing; it is never needed for correctness.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../../errors/index.ts';
import {
  type Database,
  type DuckDBConnection,
  queryRows,
  sqlString,
  withConnection,
  withDatabase,
} from '../../util/index.ts';
import type { Action, CheckpointAction } from './actions.ts';
import { sidecarFiles, splitCheckpointRows } from './v2-checkpoint.ts';

const LOG_DIR = '_delta_log';

/** `<table>/_delta_log`. */
function logDir(tablePath: string): string {
  return join(tablePath, LOG_DIR);
}

/** Zero-padded 20-digit version, as used in log file names. */
function versionPrefix(version: number): string {
  return String(version).padStart(20, '0');
}

/** Absolute path of the JSON commit file for `version`. */
export function commitPath(tablePath: string, version: number): string {
  return join(logDir(tablePath), `${versionPrefix(version)}.json`);
}

/** A complete checkpoint: one file, or all `parts` files of a multi-part checkpoint. */
export interface CheckpointFiles {
  readonly version: number;
  /** Absolute paths, in part order. */
  readonly files: readonly string[];
  /** A UUID-named (v2 spec) checkpoint in JSON; every other kind is Parquet. */
  readonly json?: boolean;
}

/**
 * A log compaction file: the actions of commits `from`..`to` in one file. Listed so that they are
 * recognized, but replay reads the commits themselves (see snapshot.ts).
 */
export interface CompactionFile {
  readonly from: number;
  readonly to: number;
  readonly file: string;
}

export interface LogListing {
  /** Versions that have a JSON commit file, ascending. */
  readonly commits: readonly number[];
  /** Complete checkpoints, ascending by version. */
  readonly checkpoints: readonly CheckpointFiles[];
  /** Log compaction files, ascending by `from` then `to`. */
  readonly compactions?: readonly CompactionFile[];
}

const COMMIT_RE = /^(\d{20})\.json$/;
const CHECKPOINT_RE = /^(\d{20})\.checkpoint\.parquet$/;
const MULTIPART_RE = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const UUID_CHECKPOINT_RE =
  /^(\d{20})\.checkpoint\.[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\.(json|parquet)$/;
const COMPACTION_RE = /^(\d{20})\.(\d{20})\.compacted\.json$/;

/** Preference among checkpoints of one version (lower first): classic, UUID Parquet, UUID JSON, multi-part. */
function checkpointRank(c: CheckpointFiles): number {
  if (c.files.length > 1) return 3;
  if (c.json) return 2;
  return /\.checkpoint\.parquet$/.test(c.files[0] as string) ? 0 : 1;
}

/**
 * Lists `_delta_log`. Throws DELTA_TABLE_NOT_FOUND when the directory is missing or holds no
 * commit and no checkpoint.
 */
export async function listLog(tablePath: string): Promise<LogListing> {
  const dir = logDir(tablePath);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new SluiceError('DELTA_TABLE_NOT_FOUND', `no Delta table at ${tablePath} (missing _delta_log)`, {
        params: { table: tablePath },
        cause: e,
      });
    }
    throw e;
  }
  const commits: number[] = [];
  const compactions: CompactionFile[] = [];
  const single: CheckpointFiles[] = [];
  const multi = new Map<string, { version: number; parts: number; got: Map<number, string> }>();
  for (const name of names) {
    let m = COMMIT_RE.exec(name);
    if (m) {
      commits.push(Number(m[1]));
      continue;
    }
    m = CHECKPOINT_RE.exec(name);
    if (m) {
      single.push({ version: Number(m[1]), files: [join(dir, name)] });
      continue;
    }
    m = UUID_CHECKPOINT_RE.exec(name);
    if (m) {
      single.push({
        version: Number(m[1]),
        files: [join(dir, name)],
        ...(m[2] === 'json' ? { json: true } : {}),
      });
      continue;
    }
    m = COMPACTION_RE.exec(name);
    if (m) {
      if (Number(m[2]) > Number(m[1]))
        compactions.push({ from: Number(m[1]), to: Number(m[2]), file: join(dir, name) });
      continue;
    }
    m = MULTIPART_RE.exec(name);
    if (m) {
      const key = `${m[1]}/${m[3]}`;
      let entry = multi.get(key);
      if (!entry) {
        entry = { version: Number(m[1]), parts: Number(m[3]), got: new Map() };
        multi.set(key, entry);
      }
      entry.got.set(Number(m[2]), join(dir, name));
    }
  }
  for (const e of multi.values()) {
    if (e.got.size !== e.parts) continue; // incomplete multi-part checkpoint: ignore
    const files: string[] = [];
    for (let i = 1; i <= e.parts; i++) {
      const f = e.got.get(i);
      if (f === undefined) break;
      files.push(f);
    }
    if (files.length === e.parts) single.push({ version: e.version, files });
  }
  commits.sort((a, b) => a - b);
  // One checkpoint per version (see checkpointRank).
  const byVersion = new Map<number, CheckpointFiles>();
  for (const c of single) {
    const prev = byVersion.get(c.version);
    if (!prev || checkpointRank(c) < checkpointRank(prev)) byVersion.set(c.version, c);
  }
  const checkpoints = [...byVersion.values()].sort((a, b) => a.version - b.version);
  if (commits.length === 0 && checkpoints.length === 0) {
    throw new SluiceError(
      'DELTA_TABLE_NOT_FOUND',
      `no Delta table at ${tablePath} (_delta_log has no commits)`,
      {
        params: { table: tablePath },
      },
    );
  }
  compactions.sort((a, b) => a.from - b.from || a.to - b.to);
  return { commits, checkpoints, compactions };
}

/**
 * Parses the text of one commit file. Blank lines are ignored; any other line must be a JSON
 * object, else DELTA_CORRUPT_LOG naming the file and 1-based line.
 */
function parseCommitText(text: string, file: string): Action[] {
  const actions: Action[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      throw new SluiceError(
        'DELTA_CORRUPT_LOG',
        `${file}:${i + 1} is not valid JSON (${(e as Error).message})`,
        {
          params: { file, line: i + 1 },
          cause: e,
        },
      );
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new SluiceError('DELTA_CORRUPT_LOG', `${file}:${i + 1} is not a Delta action object`, {
        params: { file, line: i + 1 },
      });
    }
    actions.push(parsed as Action);
  }
  return actions;
}

/**
 * Reads and parses the JSON commit `version`. Throws DELTA_VERSION_NOT_FOUND when the file is
 * absent, DELTA_CORRUPT_LOG when a line is not JSON.
 */
export async function readCommit(tablePath: string, version: number): Promise<Action[]> {
  const file = commitPath(tablePath, version);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SluiceError(
        'DELTA_VERSION_NOT_FOUND',
        `commit ${version} of ${tablePath} does not exist (${file})`,
        {
          params: { table: tablePath, version, file },
          cause: e,
        },
      );
    }
    throw e;
  }
  return parseCommitText(text, file);
}

/**
 * The timestamp (ms) of commit `version`: its `commitInfo.timestamp` (in-commit timestamp when
 * present), else the commit file's modification time.
 */
export async function commitTimestamp(
  tablePath: string,
  version: number,
  actions?: readonly Action[],
): Promise<number> {
  const acts = actions ?? (await readCommit(tablePath, version));
  const ts = commitInfoTimestamp(acts);
  if (ts !== undefined) return ts;
  return (await stat(commitPath(tablePath, version))).mtimeMs;
}

/** `commitInfo.inCommitTimestamp ?? commitInfo.timestamp` of a parsed commit, if any. */
export function commitInfoTimestamp(actions: readonly Action[]): number | undefined {
  for (const a of actions) {
    if ('commitInfo' in a) {
      const ci = a.commitInfo as Record<string, unknown>;
      const t = ci.inCommitTimestamp ?? ci.timestamp;
      if (typeof t === 'number') return t;
    }
  }
  return undefined;
}

/** The action columns of a checkpoint that replay uses (`remove` tombstones never affect live files). */
const CHECKPOINT_ACTIONS = [
  'protocol',
  'metaData',
  'add',
  'txn',
  'domainMetadata',
  'checkpointMetadata',
  'sidecar',
] as const;

/**
 * Reads the actions of a checkpoint: classic or multi-part Parquet, or v2 spec (UUID-named JSON
 * or Parquet, classic-named Parquet) with its sidecar files, through DuckDB. `remove`
 * tombstones are skipped (they never affect the live file set). When an add has no `stats` but
 * a `stats_parsed` struct (writeStatsAsJson=false), `stats` is rebuilt as JSON from it.
 * Throws DELTA_CORRUPT_CHECKPOINT when a part or sidecar cannot be read or the checkpoint
 * breaks the v2 spec.
 */
export function readCheckpoint(
  tablePath: string,
  checkpoint: CheckpointFiles,
  db: Database | undefined,
): Promise<Action[]> {
  return withDatabase(db, (d) =>
    withConnection(d, (conn) => readCheckpointActions(conn, tablePath, checkpoint)),
  );
}

async function readCheckpointActions(
  conn: DuckDBConnection,
  tablePath: string,
  checkpoint: CheckpointFiles,
): Promise<Action[]> {
  try {
    const rows: CheckpointAction[] = checkpoint.json
      ? parseCommitText(await readFile(checkpoint.files[0] as string, 'utf8'), checkpoint.files[0] as string)
      : await readParquetActions(conn, checkpoint.files, CHECKPOINT_ACTIONS);
    const parts = splitCheckpointRows(rows, checkpoint.version);
    const actions = parts.actions;
    if (!actions.some((a) => 'protocol' in a) || !actions.some((a) => 'metaData' in a)) {
      throw new Error('no protocol or metaData action');
    }
    if (parts.sidecars.length > 0) {
      const adds = await readParquetActions(conn, sidecarFiles(tablePath, parts.sidecars), ['add']);
      actions.push(...(adds as Action[]));
    }
    for (const a of actions) {
      if ('add' in a) normalizeCheckpointAdd(a.add as unknown as Record<string, unknown>);
      else if ('metaData' in a || 'protocol' in a) dropNulls(Object.values(a)[0] as Record<string, unknown>);
    }
    return actions;
  } catch (e) {
    throw corruptCheckpoint(tablePath, checkpoint, e);
  }
}

/**
 * The non-null values of the action columns `wanted` of Parquet files (checkpoint parts or
 * sidecars), one action per value.
 */
async function readParquetActions(
  conn: DuckDBConnection,
  files: readonly string[],
  wanted: readonly string[],
): Promise<CheckpointAction[]> {
  const list = `[${files.map(sqlString).join(', ')}]`;
  const desc = await queryRows<{ column_name: string }>(
    conn,
    `DESCRIBE SELECT * FROM read_parquet(${list}, union_by_name=true)`,
  );
  const columns = desc.map((d) => d.column_name);
  const present = wanted.filter((c) => columns.includes(c));
  if (present.length === 0) return [];
  // One JSON document for the whole checkpoint: crossing from DuckDB to JS once is far cheaper
  // than converting thousands of rows value by value.
  const pack = present.map((c) => `"${c}" := "${c}"`).join(', ');
  const where = present.map((c) => `"${c}" IS NOT NULL`).join(' OR ');
  const docs = await queryRows<{ doc: string | null }>(
    conn,
    `SELECT to_json(list(struct_pack(${pack})))::VARCHAR AS doc FROM read_parquet(${list}, union_by_name=true) WHERE ${where}`,
  );
  const rows = JSON.parse(docs[0]?.doc ?? '[]') as Record<string, Record<string, unknown> | null>[];
  const actions: CheckpointAction[] = [];
  for (const row of rows) {
    for (const c of present) {
      const value = row[c];
      if (value === null || value === undefined) continue;
      actions.push({ [c]: value } as unknown as CheckpointAction);
    }
  }
  return actions;
}

function corruptCheckpoint(tablePath: string, cp: CheckpointFiles, cause: unknown): SluiceError {
  const file = cp.files[0] ?? '';
  return new SluiceError(
    'DELTA_CORRUPT_CHECKPOINT',
    `checkpoint ${cp.version} of ${tablePath} cannot be read (${file}): ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`,
    { params: { table: tablePath, version: cp.version, file }, cause },
  );
}

function dropNulls(o: Record<string, unknown>): void {
  for (const k of Object.keys(o)) if (o[k] === null) delete o[k];
}

function normalizeCheckpointAdd(add: Record<string, unknown>): void {
  if (
    (add.stats === null || add.stats === undefined) &&
    add.stats_parsed &&
    typeof add.stats_parsed === 'object'
  ) {
    add.stats = JSON.stringify(add.stats_parsed);
  }
  delete add.stats_parsed;
  delete add.partitionValues_parsed;
  if (add.partitionValues === null || add.partitionValues === undefined) add.partitionValues = {};
  const dv = add.deletionVector as Record<string, unknown> | null | undefined;
  if (dv && (dv.offset === null || dv.offset === undefined)) delete dv.offset;
  for (const k of [
    'deletionVector',
    'tags',
    'baseRowId',
    'defaultRowCommitVersion',
    'clusteringProvider',
    'stats',
  ]) {
    if (add[k] === null) delete add[k];
  }
}
