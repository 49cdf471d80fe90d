/**
 * Row-level changes (updates and deletes of rows by identity) as copy-on-write: the data files
 * that may hold a changed row are rewritten without the changed rows, the new versions of upserted
 * rows are added, and one commit removes the old files and adds the new ones (dataChange = true).
 *
 * Lifecycle of one change:
 *
 *   changes (a DuckDB relation: identity + row columns + `__sluice_change`)
 *     → candidate files: file statistics on the first identity column prune files that cannot
 *       hold a changed identity (a file without usable bounds is always a candidate)
 *     → write: kept rows of the candidates ∪ upserted rows as new files (invisible until committed)
 *     → with CDF on: `_change_data` files (insert / update_preimage / update_postimage / delete)
 *     → the caller commits remove(candidates) + add(new) + cdc as a commit that read the table
 *       (not a blind append), so any concurrent data change conflicts (DELTA_CONCURRENT_MODIFICATION).
 *
 * With `delta.enableDeletionVectors = true` (the table's protocol then has the feature), a touched
 * file is not rewritten: the positions of its changed rows join its deletion vector (one new vector
 * file per change, published before the commit), and the commit removes the file with its old
 * vector and adds it back with the new one; only the upserted rows are written. Otherwise
 * copy-on-write keeps the table readable by any Delta reader, and pruning keeps the rewritten set
 * to files whose key ranges hold a change.
 */
import { randomUUID } from 'node:crypto';
import { type DuckDBConnection, queryRows, sqlIdent, sqlString } from '../../util/index.ts';
import type { Action, AddAction, FileStats } from './actions.ts';
import { cdfEnabled, writeChangeDataFiles } from './cdf-write.ts';
import { writeDataFiles } from './data-files.ts';
import { writeDeletionVectors } from './deletion-vector-encode.ts';
import { deletionVectorOf, loadDeletionVector } from './deletion-vectors.ts';
import { RowIndexSet } from './roaring-bitmap.ts';
import { filesScanSql, snapshotReadSchema } from './scan.ts';
import { deltaTypeToDuckDB } from './schema.ts';
import type { Snapshot } from './snapshot.ts';
import { statKind } from './stats.ts';
import { deletionVectorsEnabled } from './table.ts';

/** Column of a changes relation saying what happens to the row: 'upsert' or 'delete'. */
export const CHANGE_KIND_COLUMN = '__sluice_change';

export interface RowChangeRequest {
  /** The table as the changes were computed against (the commit must read this version). */
  readonly snapshot: Snapshot;
  /**
   * Columns identifying a row. A change replaces every live row with the same identity (compared
   * with IS NOT DISTINCT FROM); identities are unique among the changes.
   */
  readonly identity: readonly string[];
  /**
   * A relation (a table name or a parenthesized query) of the changes: the identity columns, the
   * table's columns for upserts, and {@link CHANGE_KIND_COLUMN}.
   */
  readonly changes: string;
  /**
   * A temp table made by {@link readRowsOfKeys} over this same snapshot, holding every live row
   * whose identity is among the changes. With deletion vectors the changed rows are then found in
   * it (with their files and positions) instead of by reading the candidate files again; without
   * them (copy-on-write needs the kept rows too) it is not used.
   */
  readonly rowsRead?: string;
}

export interface RowChangePlan {
  /** remove + add (+ cdc) actions to commit; empty when nothing changes. */
  readonly actions: readonly Action[];
  readonly metrics: {
    readonly numTargetRowsInserted: number;
    readonly numTargetRowsUpdated: number;
    readonly numTargetRowsDeleted: number;
    readonly numTargetFilesAdded: number;
    readonly numTargetFilesRemoved: number;
    readonly numTargetRowsCopied: number;
  };
}

function statBounds(add: AddAction, column: string): { min: unknown; max: unknown } {
  if (!add.stats) return { min: null, max: null };
  try {
    const s = JSON.parse(add.stats) as FileStats;
    return { min: s.minValues?.[column] ?? null, max: s.maxValues?.[column] ?? null };
  } catch {
    return { min: null, max: null };
  }
}

function boundLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  return sqlString(typeof v === 'string' ? v : JSON.stringify(v));
}

/**
 * The live files that may hold a row whose identity is among the changes. Pruning uses the
 * min/max statistics of the first identity column when it is a data column with comparable
 * statistics; a file whose bounds are missing (or do not parse) is kept.
 */
async function candidateFiles(conn: DuckDBConnection, req: RowChangeRequest): Promise<AddAction[]> {
  const snap = req.snapshot;
  if (snap.files.length === 0) return [];
  const col = req.identity[0]!;
  const field = snap.schema.fields.find((f) => f.name === col);
  const kind = field ? statKind(field.type as string) : 'none';
  if (
    !field ||
    snap.partitionColumns.includes(col) ||
    kind === 'nested' ||
    kind === 'none' ||
    kind === 'float'
  )
    return [...snap.files];
  const type = deltaTypeToDuckDB(field.type);
  const files = sqlIdent(`__sluice_files_${randomUUID().replaceAll('-', '')}`);
  const values = snap.files.map((f, i) => {
    const b = statBounds(f, col);
    return `(${i}, ${boundLiteral(b.min)}, ${boundLiteral(b.max)})`;
  });
  await conn.run(
    `CREATE TEMP TABLE ${files} AS SELECT i, TRY_CAST(lo AS ${type}) AS lo, TRY_CAST(hi AS ${type}) AS hi FROM (VALUES ${values.join(', ')}) AS v(i, lo, hi)`,
  );
  try {
    const keys = `(SELECT DISTINCT ${sqlIdent(col)} AS k FROM ${req.changes})`;
    const rows = await queryRows<{ i: number }>(
      conn,
      `SELECT DISTINCT f.i FROM ${files} f JOIN ${keys} c ON c.k >= f.lo AND c.k <= f.hi
       UNION SELECT f.i FROM ${files} f WHERE f.lo IS NULL OR f.hi IS NULL
       UNION SELECT f.i FROM ${files} f WHERE EXISTS (SELECT 1 FROM ${keys} c WHERE c.k IS NULL)`,
    );
    return rows.map((r) => snap.files[Number(r.i)]!).sort((a, b) => (a.path < b.path ? -1 : 1));
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${files}`).catch(() => {});
  }
}

/**
 * Writes the files of a row-level change of `tablePath` and returns the actions to commit (see
 * the module comment). Nothing is committed: the caller commits `actions` with
 * `readVersion = snapshot.version` and `isBlindAppend = false`.
 */
export async function planRowChanges(
  conn: DuckDBConnection,
  tablePath: string,
  req: RowChangeRequest,
): Promise<RowChangePlan> {
  const snap = req.snapshot;
  const layout = { schema: snap.schema, partitionColumns: snap.partitionColumns };
  const vectors = deletionVectorsEnabled(snap.metadata);
  // Rows read already carry their file's index in snapshot.files: every file is a candidate.
  const reuse = vectors && req.rowsRead !== undefined;
  const candidates = reuse ? [...snap.files] : await candidateFiles(conn, req);
  const cols = snap.schema.fields.map((f) => sqlIdent(f.name));
  const on = req.identity.map((c) => `o.${sqlIdent(c)} IS NOT DISTINCT FROM c.${sqlIdent(c)}`).join(' AND ');
  const old = sqlIdent(`__sluice_old_${randomUUID().replaceAll('-', '')}`);
  const kind = sqlIdent(CHANGE_KIND_COLUMN);
  // The old rows of the candidate files (their deletion vectors applied), tagged with what
  // happens to them (NULL: kept) and, with deletion vectors, with their position in the file.
  // With deletion vectors a kept row is never read again (only changed rows are marked and
  // imaged), so only the changed rows are kept: an inner join, not every row of every candidate.
  const oldRows = reuse
    ? `SELECT * FROM ${req.rowsRead}`
    : filesScanSql(
        tablePath,
        snap.schema,
        snap.partitionColumns,
        candidates.map((f, i) => ({
          path: f.path,
          partitionValues: f.partitionValues,
          extra: [String(i)],
          ...(f.deletionVector ? { deletionVector: f.deletionVector } : {}),
        })),
        {
          fileColumns: [{ name: '__sluice_file_index', type: 'INTEGER' }],
          ...(vectors ? { rowIndexColumn: ROW_POSITION } : {}),
        },
      );
  await conn.run(
    `CREATE TEMP TABLE ${old} AS SELECT o.*, c.${kind} AS __sluice_fate FROM (${oldRows}) AS o ${vectors ? '' : 'LEFT '}JOIN (SELECT ${req.identity.map(sqlIdent).join(', ')}, ${kind} FROM ${req.changes}) AS c ON ${on}`,
  );
  try {
    const upserts = `(SELECT ${cols.join(', ')} FROM ${req.changes} WHERE ${kind} = 'upsert')`;
    const [m] = await queryRows<Record<string, number>>(
      conn,
      `SELECT
         (SELECT count(*) FROM ${old} WHERE __sluice_fate = 'upsert') AS updated,
         (SELECT count(*) FROM ${old} WHERE __sluice_fate = 'delete') AS deleted,
         (SELECT count(*) FROM ${upserts}) AS upserted`,
    );
    const updated = Number(m!.updated);
    const deleted = Number(m!.deleted);
    const inserted = Number(m!.upserted) - updated;
    if (updated + deleted + inserted === 0) {
      return {
        actions: [],
        metrics: {
          numTargetRowsInserted: 0,
          numTargetRowsUpdated: 0,
          numTargetRowsDeleted: 0,
          numTargetFilesAdded: 0,
          numTargetFilesRemoved: 0,
          numTargetRowsCopied: 0,
        },
      };
    }
    // Only candidates that hold a changed row are rewritten; the others stay as they are.
    const touchedIndexes = await queryRows<{ i: number }>(
      conn,
      `SELECT DISTINCT __sluice_file_index AS i FROM ${old} WHERE __sluice_fate IS NOT NULL ORDER BY 1`,
    );
    const touchedSet = new Set(touchedIndexes.map((r) => Number(r.i)));
    const touched = candidates.filter((_, i) => touchedSet.has(i));
    if (vectors) {
      const marked = await markDeleted(conn, tablePath, old, candidates, touchedSet);
      const adds = await writeDataFiles(conn, tablePath, upserts, {
        ...layout,
        columns: snap.schema.fields.map((f) => f.name),
      });
      const actions: Action[] = [...marked, ...adds.map((add) => ({ add }))];
      if (cdfEnabled(snap.metadata))
        actions.push(...(await changeData(conn, tablePath, old, upserts, cols, req)));
      return {
        actions,
        metrics: {
          numTargetRowsInserted: inserted,
          numTargetRowsUpdated: updated,
          numTargetRowsDeleted: deleted,
          numTargetFilesAdded: adds.length,
          numTargetFilesRemoved:
            marked.filter((a) => 'remove' in a).length - marked.filter((a) => 'add' in a).length,
          numTargetRowsCopied: 0,
        },
      };
    }
    const kept = `(SELECT ${cols.join(', ')} FROM ${old} WHERE __sluice_fate IS NULL AND __sluice_file_index IN (SELECT DISTINCT __sluice_file_index FROM ${old} WHERE __sluice_fate IS NOT NULL))`;
    const adds = await writeDataFiles(conn, tablePath, `${kept} UNION ALL ${upserts}`, {
      ...layout,
      columns: snap.schema.fields.map((f) => f.name),
    });
    const now = Date.now();
    const actions: Action[] = [
      ...touched.map((f) => ({ remove: removeOf(f, now) })),
      ...adds.map((add) => ({ add })),
    ];
    if (cdfEnabled(snap.metadata))
      actions.push(...(await changeData(conn, tablePath, old, upserts, cols, req)));
    return {
      actions,
      metrics: {
        numTargetRowsInserted: inserted,
        numTargetRowsUpdated: updated,
        numTargetRowsDeleted: deleted,
        numTargetFilesAdded: adds.length,
        numTargetFilesRemoved: touched.length,
        numTargetRowsCopied: await countRows(conn, kept),
      },
    };
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${old}`).catch(() => {});
  }
}

/**
 * Creates the temp table `into`: the live rows of `snapshot` (its deletion vectors applied) whose
 * `keyColumns` equal those of a row of `keys` (a relation with those columns, no NULL), each with
 * the index of its file in `snapshot.files` and its position in that file. Files whose statistics
 * on the first key column cannot hold a key are not read; `where` (SQL over the row as `o`)
 * narrows the rows further. Passed to {@link planRowChanges} as `rowsRead`, it is the one read
 * of the table a change of those keys needs — provided it holds every row the change touches.
 */
export async function readRowsOfKeys(
  conn: DuckDBConnection,
  snapshot: Snapshot,
  keyColumns: readonly string[],
  keys: string,
  into: string,
  where?: string,
): Promise<void> {
  const candidates = await candidateFiles(conn, { snapshot, identity: keyColumns, changes: keys });
  const indexOf = new Map(snapshot.files.map((f, i) => [f.path, i]));
  const scan = filesScanSql(
    snapshot.tablePath,
    snapshot.schema,
    snapshot.partitionColumns,
    candidates.map((f) => ({
      path: f.path,
      partitionValues: f.partitionValues,
      extra: [String(indexOf.get(f.path))],
      ...(f.deletionVector ? { deletionVector: f.deletionVector } : {}),
    })),
    {
      readSchema: snapshotReadSchema(snapshot),
      fileColumns: [{ name: '__sluice_file_index', type: 'INTEGER' }],
      rowIndexColumn: ROW_POSITION,
    },
  );
  const on = keyColumns.map((c) => `o.${sqlIdent(c)} = k.${sqlIdent(c)}`).join(' AND ');
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${into} AS SELECT o.* FROM (${scan}) AS o
     WHERE EXISTS (SELECT 1 FROM ${keys} AS k WHERE ${on})${where ? ` AND (${where})` : ''}`,
  );
}

async function countRows(conn: DuckDBConnection, relation: string): Promise<number> {
  const [r] = await queryRows<{ n: number }>(conn, `SELECT count(*) AS n FROM ${relation}`);
  return Number(r?.n ?? 0);
}

/** Column of the old rows holding their position in their data file (deletion vector mode). */
const ROW_POSITION = '__sluice_row_position';

function removeOf(f: AddAction, now: number) {
  return {
    path: f.path,
    deletionTimestamp: now,
    dataChange: true,
    extendedFileMetadata: true,
    partitionValues: f.partitionValues,
    size: f.size,
    ...(f.deletionVector ? { deletionVector: f.deletionVector } : {}),
  };
}

/** The `_change_data` files of a change: pre/post images of updates, deletes, inserts. */
async function changeData(
  conn: DuckDBConnection,
  tablePath: string,
  old: string,
  upserts: string,
  cols: readonly string[],
  req: RowChangeRequest,
): Promise<Action[]> {
  const snap = req.snapshot;
  const changes = [
    `SELECT ${cols.join(', ')}, 'update_preimage' AS _change_type FROM ${old} WHERE __sluice_fate = 'upsert'`,
    `SELECT ${cols.join(', ')}, 'delete' AS _change_type FROM ${old} WHERE __sluice_fate = 'delete'`,
    `SELECT u.*, CASE WHEN EXISTS (SELECT 1 FROM ${old} o WHERE o.__sluice_fate = 'upsert' AND ${req.identity
      .map((c) => `o.${sqlIdent(c)} IS NOT DISTINCT FROM u.${sqlIdent(c)}`)
      .join(' AND ')}) THEN 'update_postimage' ELSE 'insert' END AS _change_type FROM ${upserts} AS u`,
  ];
  const cdc = await writeChangeDataFiles(conn, tablePath, changes.join(' UNION ALL '), {
    schema: snap.schema,
    partitionColumns: snap.partitionColumns,
  });
  return cdc.map((c) => ({ cdc: c }));
}

/**
 * Deletion vector mode: the touched files' changed rows join their vectors. A file left with no
 * row is removed; every other is removed with its old vector and added back with the new one
 * (statistics kept, marked not tight: they still count the deleted rows).
 */
async function markDeleted(
  conn: DuckDBConnection,
  tablePath: string,
  old: string,
  candidates: readonly AddAction[],
  touched: ReadonlySet<number>,
): Promise<Action[]> {
  const rows = await queryRows<{ i: number; positions: number[] }>(
    conn,
    `SELECT __sluice_file_index AS i, list(${sqlIdent(ROW_POSITION)}) AS positions FROM ${old}
     WHERE __sluice_fate IS NOT NULL GROUP BY 1 ORDER BY 1`,
  );
  const now = Date.now();
  const out: Action[] = [];
  const vectored: { file: AddAction; set: RowIndexSet }[] = [];
  for (const r of rows) {
    const i = Number(r.i);
    if (!touched.has(i)) continue;
    const f = candidates[i]!;
    const dv = deletionVectorOf(f);
    const before = dv ? [...loadDeletionVector(tablePath, dv, f.path).values()] : [];
    const set = RowIndexSet.of([...before, ...r.positions.map(Number)]);
    out.push({ remove: removeOf(f, now) });
    if (set.cardinality < (numRecords(f) ?? Number.POSITIVE_INFINITY)) vectored.push({ file: f, set });
  }
  const descriptors = await writeDeletionVectors(
    tablePath,
    vectored.map((v) => v.set),
  );
  vectored.forEach(({ file }, i) => {
    out.push({
      add: {
        ...file,
        modificationTime: file.modificationTime,
        dataChange: true,
        deletionVector: descriptors[i],
        ...(file.stats ? { stats: looseStats(file.stats) } : {}),
      },
    });
  });
  return out;
}

function numRecords(f: AddAction): number | undefined {
  if (!f.stats) return undefined;
  try {
    const n = (JSON.parse(f.stats) as FileStats).numRecords;
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Statistics of a file that now has a deletion vector: not tight (they count deleted rows). */
function looseStats(stats: string): string {
  try {
    return JSON.stringify({ ...(JSON.parse(stats) as object), tightBounds: false });
  } catch {
    return stats;
  }
}
