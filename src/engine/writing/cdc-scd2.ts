/**
 * SCD type 2 changes of one AUTO CDC batch, all in DuckDB SQL.
 *
 * The flow's state table of an SCD 2 flow is the history of every event applied (keys, sequence,
 * delete flag and the target's value columns), so the target is always the replay of all events
 * in sequence order, whatever batches they arrived in:
 *
 *   fresh events (not already in the history)
 *     ─ keys whose fresh events are all newer than every event of the key in the history:
 *         replayed from the key's open version (the target's row with __END_AT NULL) — the
 *         versions they close, update in place or open are upserted
 *     ─ keys with a late event (older than one of the history): every event of the key (history
 *       ∪ fresh) replayed from nothing; the versions that differ from the target's are upserted,
 *       the target's versions that no longer exist are deleted. A late event thus splits the
 *       version it falls into, opens one inside a deleted gap, or closes one — exactly as if the
 *       events had arrived in order.
 *
 * Only the keys with fresh events are read from the target, and the row-level change rewrites only
 * the files that hold them.
 */
import {
  type AutoCdc,
  CDC_DELETE_COLUMN,
  CDC_SEQUENCE_COLUMN,
  SCD2_END_COLUMN,
  SCD2_START_COLUMN,
} from '../../model/index.ts';
import { CHANGE_KIND_COLUMN } from '../../storage/index.ts';
import { type DuckDBConnection, queryRows, sqlIdent } from '../../util/index.ts';
import { FRESH, replaySql, selected, type TargetShape, valueColumns } from './cdc-replay.ts';

/** Columns of the SCD 2 history (the flow's state table) besides the keys and the value columns. */
export const HISTORY_SEQ = '__sequence';
export const HISTORY_DELETED = '__deleted';

const LATE_KEYS = '__sluice_cdc_late_keys';
const LATE_OLD = '__sluice_cdc_late_old';
const LATE_NEW = '__sluice_cdc_late_new';

const id = sqlIdent;

/**
 * The state table's rows one per key, as SCD 1 keeps it: the highest sequence applied and
 * whether that event was a delete. `history` is the SQL of the history's rows.
 */
export function historyStateSql(history: string, keyNames: readonly string[]): string {
  const keys = keyNames.map(id).join(', ');
  return `SELECT ${keys}, max(${id(HISTORY_SEQ)}) AS ${id(HISTORY_SEQ)},
      arg_max(${id(HISTORY_DELETED)}, ${id(HISTORY_SEQ)}) AS ${id(HISTORY_DELETED)}, false AS __truncate
    FROM (${history}) GROUP BY ${keys}`;
}

/** The history rows this batch adds: its fresh events, values as the replay reads them. */
export function historyRowsSql(s: Pick<TargetShape, 'columns' | 'keyNames'>): string {
  const del = id(CDC_DELETE_COLUMN);
  const values = valueColumns(s).map((c) => `CASE WHEN ${del} THEN NULL ELSE ${id(c)} END AS ${id(c)}`);
  return `SELECT ${s.keyNames.map(id).join(', ')}, ${id(CDC_SEQUENCE_COLUMN)} AS ${id(HISTORY_SEQ)}, ${del} AS ${id(HISTORY_DELETED)}, false AS __truncate${values.length ? ', ' : ''}${values.join(', ')} FROM ${FRESH}`;
}

/**
 * The versions the events of `events` make (see {@link replaySql} for `current`): a row starts a
 * version when it follows a delete (or nothing) or a tracked column differs from the previous row;
 * a version's __END_AT is the sequence of the next version or delete; its values are those of its
 * last row (changes to untracked columns update it in place). Each version is its last row, found
 * with window functions over one ordering (no grouping). Columns: the target's, `__from_target`
 * (the version is the target's open one), `__merged` (it holds more than its first row) and
 * `__closed_by_delete`.
 */
function versionsSql(cdc: AutoCdc, s: TargetShape, events: string, current?: string): string {
  const keys = s.keyNames.map(id).join(', ');
  const seq = id(CDC_SEQUENCE_COLUMN);
  const del = id(CDC_DELETE_COLUMN);
  const values = valueColumns(s);
  const tracked = selected(cdc.trackHistory, values);
  const w = `PARTITION BY ${keys} ORDER BY ${seq}`;
  // A tracked column differs from the previous (next) row's: compared column by column, which
  // DuckDB's window operator does much faster than one struct of them all.
  const changed = (fn: 'lag' | 'lead') =>
    tracked.length
      ? `(${tracked.map((c) => `${id(c)} IS DISTINCT FROM ${fn}(${id(c)}) OVER (${w})`).join(' OR ')})`
      : 'false';
  // One ordering decides, for every row, whether it starts a version and whether it is its
  // version's last row (the next row starts one, or there is none). A delete is a version of its
  // own (never output) and a row after it starts one.
  const marked = `SELECT *, ${del} OR lag(${seq}) OVER (${w}) IS NULL OR lag(${del}) OVER (${w})
        OR ${changed('lag')} AS __starts,
      lead(${seq}) OVER (${w}) IS NULL OR lead(${del}) OVER (${w}) OR ${del}
        OR ${changed('lead')} AS __last,
      lead(${seq}) OVER (${w}) AS __end, coalesce(lead(${del}) OVER (${w}), false) AS __closed_by_delete
    FROM (${replaySql(cdc, s, events, current)})`;
  const out = (start: string, fromTarget: string, merged: string) =>
    `${s.columns.map(id).join(', ')}, ${start} AS ${id(SCD2_START_COLUMN)}, __end AS ${id(SCD2_END_COLUMN)},
      ${fromTarget} AS __from_target, ${merged} AS __merged, __closed_by_delete`;
  // A version of one row (every event, when each changes a tracked column) is that row. A longer
  // one is its last row with the first row's sequence: with the rows in between left out, the
  // row before a last row is its version's first — a second ordering over those rows only.
  const single = `SELECT ${out(seq, '__from_target', 'false')} FROM __sluice_marked WHERE __starts AND __last AND NOT ${del}`;
  const longer = `SELECT ${out('__start', '__start_from_target', `${seq} <> __start`)} FROM (
      SELECT *, CASE WHEN __starts THEN ${seq} ELSE lag(${seq}) OVER (${w}) END AS __start,
        CASE WHEN __starts THEN __from_target ELSE lag(__from_target) OVER (${w}) END AS __start_from_target
      FROM __sluice_marked WHERE __starts <> __last)
    WHERE __last AND NOT ${del}`;
  return `WITH __sluice_marked AS MATERIALIZED (${marked}) ${single} UNION ALL ${longer}`;
}

/**
 * Creates `into`, the row-level changes of the target for this batch (identity: keys and
 * __START_AT; `__closed_by_delete` marks versions a delete closed). `rows` is the SQL of the
 * target's rows, `history` of the history's rows before this batch; `s.state` is
 * {@link historyStateSql} of it.
 */
export async function scd2Changes(
  conn: DuckDBConnection,
  cdc: AutoCdc,
  s: TargetShape,
  /**
   * Reads the target's rows and returns SQL of them: at least, of the keys with fresh events,
   * the open versions (`__END_AT` NULL) and every version of the keys of `lateKeys` (a table of
   * keys; undefined: there are none); no other row is read. Called once.
   */
  readRows: (lateKeys: string | undefined) => Promise<string>,
  history: string,
  into: string,
): Promise<void> {
  const keys = s.keyNames.map(id).join(', ');
  const seq = id(CDC_SEQUENCE_COLUMN);
  const del = id(CDC_DELETE_COLUMN);
  const values = valueColumns(s);
  const comma = values.length ? ', ' : '';
  const eq = (l: string, r: string) => s.keyNames.map((k) => `${l}.${id(k)} = ${r}.${id(k)}`).join(' AND ');
  const isLate = (x: string) => `EXISTS (SELECT 1 FROM ${LATE_KEYS} l WHERE ${eq('l', x)})`;
  const start = id(SCD2_START_COLUMN);
  const end = id(SCD2_END_COLUMN);
  const kind = id(CHANGE_KIND_COLUMN);
  try {
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${LATE_KEYS} AS SELECT DISTINCT f.${s.keyNames.map(id).join(', f.')}
       FROM ${FRESH} f JOIN (${s.state}) st ON ${eq('f', 'st')} WHERE f.${seq} < st.${id(HISTORY_SEQ)}`,
    );
    const [late] = await queryRows<{ n: number }>(conn, `SELECT count(*) AS n FROM ${LATE_KEYS}`);
    const anyLate = Number(late?.n ?? 0) > 0;
    const rows = await readRows(anyLate ? LATE_KEYS : undefined);
    // In order: from the open version the target holds.
    const inOrder = `(SELECT * FROM ${FRESH} f WHERE NOT ${isLate('f')})`;
    const touched = `(SELECT DISTINCT ${keys} FROM ${inOrder})`;
    const current = `SELECT r.${s.keyNames.map(id).join(', r.')}${comma}${values.map((c) => `r.${id(c)}`).join(', ')}, r.${start} AS ${seq}, false AS ${del}, true AS __from_target
      FROM (${rows}) r JOIN ${touched} k ON ${eq('r', 'k')} WHERE r.${end} IS NULL`;
    const inOrderChanges = `SELECT * EXCLUDE (__from_target, __merged), 'upsert' AS ${kind}
      FROM (${versionsSql(cdc, s, inOrder, current)}) WHERE NOT __from_target OR __merged OR ${end} IS NOT NULL`;
    if (!anyLate) {
      // Nothing late (the common case): the target is not read beyond the keys' open versions.
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${into} AS ${inOrderChanges}`);
      return;
    }
    // Late: every event of the key, replayed from nothing, against the versions the target holds.
    const targetColumns = [...s.columns, SCD2_START_COLUMN, SCD2_END_COLUMN];
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${LATE_OLD} AS SELECT ${targetColumns.map((c) => `r.${id(c)}`).join(', ')} FROM (${rows}) r WHERE ${isLate('r')}`,
    );
    const cols = `${keys}${comma}${values.map(id).join(', ')}`;
    const lateEvents = `(SELECT ${cols}, ${id(HISTORY_SEQ)} AS ${seq}, ${id(HISTORY_DELETED)} AS ${del} FROM (${history}) h WHERE ${isLate('h')}
      UNION ALL SELECT ${cols}, ${seq}, ${del} FROM ${FRESH} f WHERE ${isLate('f')})`;
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${LATE_NEW} AS SELECT * EXCLUDE (__from_target, __merged) FROM (${versionsSql(cdc, s, lateEvents)})`,
    );
    const same = targetColumns.map((c) => `o.${id(c)} IS NOT DISTINCT FROM n.${id(c)}`).join(' AND ');
    const lateUpserts = `SELECT n.*, 'upsert' AS ${kind} FROM ${LATE_NEW} n WHERE NOT EXISTS (SELECT 1 FROM ${LATE_OLD} o WHERE ${same})`;
    const lateDeletes = `SELECT ${s.keyNames.map((k) => `o.${id(k)}`).join(', ')}, o.${start}, 'delete' AS ${kind}, false AS __closed_by_delete
      FROM ${LATE_OLD} o WHERE NOT EXISTS (SELECT 1 FROM ${LATE_NEW} n WHERE ${eq('o', 'n')} AND o.${start} = n.${start})`;
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${into} AS ${inOrderChanges} UNION ALL BY NAME ${lateUpserts} UNION ALL BY NAME ${lateDeletes}`,
    );
  } finally {
    for (const tmp of [LATE_KEYS, LATE_OLD, LATE_NEW])
      await conn.run(`DROP TABLE IF EXISTS ${tmp}`).catch(() => {});
  }
}
