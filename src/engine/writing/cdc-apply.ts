/**
 * Applying one batch of change events to an AUTO CDC target, all in DuckDB SQL.
 *
 * Two Delta tables belong to the flow: the target, and a state table. For SCD 1 the state holds,
 * per key ever seen, the highest sequence applied and whether that event was a delete (a
 * tombstone, recorded at its batch's planning time); for SCD 2 it is the history of every event
 * applied (see cdc-scd2.ts). Tombstones are kept for the retention of the batch (Databricks'
 * `pipelines.cdc.tombstoneGCThresholdInSeconds`, 2 days by default), so a late update older than a
 * delete does not resurrect its row within it; a batch planned later than that after the delete
 * removes the tombstone, and an older update arriving after that applies (as on Databricks). Per batch:
 *
 *   events E ─ checks: no NULL key, no NULL sequence, no two different events with one key and sequence
 *            ─ fresh events: SCD 1 drops stale ones (sequence ≤ the state's for their key);
 *              SCD 2 drops only those its history already holds
 *            ─ replay per key in sequence order:
 *              SCD 1: from the row the target holds, the last event wins (IGNORE NULL UPDATES carries
 *                     earlier values forward); a truncate deletes every key at its sequence (a
 *                     watermark kept in the state)
 *              SCD 2: versions [__START_AT, __END_AT) open when a tracked column changes, close on
 *                     delete; a key with a late event is replayed whole from its history
 *            ─ target: row-level changes (copy-on-write), commit with txn {appId, batch}
 *            ─ state: row-level changes (SCD 1) or an append (SCD 2), commit with the same txn
 *
 * The target commits first and the state second, each skipped when its txn is already there: the
 * target's changes are computed from the state as it was before the batch, which stays true until
 * the state commits, so a crash between the two commits replays to the same tables.
 */
import { SluiceError } from '../../errors/index.ts';
import {
  type AutoCdc,
  CDC_DELETE_COLUMN,
  CDC_SEQUENCE_COLUMN,
  CDC_TRUNCATE_COLUMN,
  type Dataset,
  SCD2_END_COLUMN,
  SCD2_START_COLUMN,
} from '../../model/index.ts';
import {
  type Action,
  CHANGE_KIND_COLUMN,
  planRowChanges,
  type RowChangePlan,
  readRowsOfKeys,
  snapshotScanSql,
  writeDataFiles,
} from '../../storage/index.ts';
import { crashPoint, type DuckDBConnection, queryRows, sqlIdent } from '../../util/index.ts';
import { withUnwrittenDeclared } from '../tables/declared-schema.ts';
import { prepareTable, type QueryColumns } from '../tables/prepare-table.ts';
import type { TableCache } from '../tables/table-cache.ts';
import {
  CDC_TARGET_DEFAULTS,
  FRESH,
  replaySql,
  selected,
  type TargetShape,
  valueColumns,
} from './cdc-replay.ts';
import { historyRowsSql, historyStateSql, scd2Changes } from './cdc-scd2.ts';

/** Internal columns of the state table. */
const STATE_SEQ = '__sequence';
const STATE_DELETED = '__deleted';
/** Marks the state row (all keys NULL) holding the sequence of the latest truncate applied. */
const STATE_TRUNCATE = '__truncate';
/** SCD 1: when a tombstone was recorded (its batch's planning time, epoch ms), for its retention. */
const STATE_DELETED_AT = '__deleted_at';

/** Temp tables of one batch (per flow connection). */
const EVENTS = '__sluice_cdc_events';
const TARGET_CHANGES = '__sluice_cdc_target_changes';
const STATE_CHANGES = '__sluice_cdc_state_changes';
/** One row: `w`, the truncate watermark after this batch; `t_new`, this batch's truncate when newer. */
const TRUNCATE = '__sluice_cdc_truncate';
/** SCD 2: the history's rows one per key (as SCD 1's state table holds them). */
const KEY_STATE = '__sluice_cdc_key_state';
/** The state's rows of the keys this batch has events for (SCD 1: and the truncate row). */
const TOUCHED_STATE = '__sluice_cdc_touched_state';
/**
 * SCD 2: the target's rows of the keys this batch has events for, with their files and positions,
 * read once for both the new versions and the row-level change that marks the old ones.
 */
const TARGET_ROWS = '__sluice_cdc_target_rows';

export interface CdcTables {
  readonly target: { readonly path: string; readonly dataset: Dataset };
  readonly state: { readonly path: string; readonly dataset: Dataset };
}

export interface CdcBatch {
  readonly flow: string;
  readonly appId: string;
  readonly batchId: number;
  readonly cdc: AutoCdc;
  /**
   * The batch's planning time (epoch ms, from its recorded offset, so a replay uses the same): the
   * time its tombstones are recorded at, and the clock their retention is measured by.
   */
  readonly plannedAtMs: number;
  /**
   * SCD 1: how long a delete tombstone is kept (ms); a batch removes the tombstones recorded
   * more than this before it (Databricks' `pipelines.cdc.tombstoneGCThresholdInSeconds`).
   */
  readonly tombstoneRetentionMs: number;
}

/** What one batch did to the target (Lakeflow's CDC flow metrics). */
export interface CdcOutcome {
  readonly inputRows: number;
  readonly upsertedRows: number;
  readonly deletedRows: number;
  readonly outputBytes: number;
  readonly tableVersion?: number;
}

const id = sqlIdent;

function unknownColumns(cdc: AutoCdc, columns: readonly string[], dataset: string): void {
  const lower = new Set(columns.map((c) => c.toLowerCase()));
  const lists = [
    ['KEYS', cdc.keys],
    ['COLUMNS', cdc.columns?.columns ?? []],
    ['IGNORE NULL UPDATES', cdc.ignoreNullUpdates?.columns ?? []],
    ['TRACK HISTORY', cdc.trackHistory?.columns ?? []],
  ] as const;
  for (const [clause, names] of lists) {
    const missing = names.filter((n) => !lower.has(n.toLowerCase()));
    if (missing.length > 0) {
      throw new SluiceError(
        'AUTO_CDC_INVALID_DEFINITION',
        `${clause} names column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that the change events do not have (they have ${columns.join(', ')})`,
        {
          dataset,
          params: { clause, columns: missing },
          ...(cdc.location ? { location: cdc.location } : {}),
        },
      );
    }
  }
}

async function count(conn: DuckDBConnection, sql: string): Promise<number> {
  const [r] = await queryRows<{ n: number }>(conn, `SELECT count(*) AS n FROM (${sql})`);
  return Number(r?.n ?? 0);
}

/**
 * Refuses events sluice cannot order: NULL keys, NULL sequences, two different events at one
 * sequence. Returns whether any event is repeated (then equal events must collapse).
 */
async function checkEvents(
  conn: DuckDBConnection,
  cdc: AutoCdc,
  keys: string,
  dataset: string,
): Promise<boolean> {
  const keyNull = cdc.keys.map((k) => `${id(k)} IS NULL`).join(' OR ');
  const live = `NOT ${id(CDC_TRUNCATE_COLUMN)}`;
  if ((await count(conn, `SELECT 1 FROM ${EVENTS} WHERE ${live} AND (${keyNull})`)) > 0) {
    throw new SluiceError(
      'AUTO_CDC_NULL_KEY',
      `a change event for '${dataset}' has a NULL key (${cdc.keys.join(', ')})`,
      {
        dataset,
        params: { keys: cdc.keys },
      },
    );
  }
  if ((await count(conn, `SELECT 1 FROM ${EVENTS} WHERE ${id(CDC_SEQUENCE_COLUMN)} IS NULL`)) > 0) {
    throw new SluiceError(
      'AUTO_CDC_NULL_SEQUENCE',
      `a change event for '${dataset}' has a NULL SEQUENCE BY value (${cdc.sequenceBy}); events cannot be ordered without one`,
      { dataset, params: { sequenceBy: cdc.sequenceBy } },
    );
  }
  // Only pairs of (key, sequence) seen twice can be ties: found first on those two columns alone.
  const seq = id(CDC_SEQUENCE_COLUMN);
  const twice = `SELECT ${keys}, ${seq} FROM ${EVENTS} WHERE ${live} GROUP BY ${keys}, ${seq} HAVING count(*) > 1`;
  if ((await count(conn, twice)) === 0) return false;
  const ties = await queryRows(
    conn,
    `SELECT ${keys}, ${seq} FROM (SELECT DISTINCT e.* FROM ${EVENTS} e WHERE ${live} AND EXISTS (SELECT 1 FROM (${twice}) t
       WHERE ${[...cdc.keys.map((k) => id(k)), seq].map((c) => `e.${c} = t.${c}`).join(' AND ')}))
     GROUP BY ${keys}, ${seq} HAVING count(*) > 1 LIMIT 1`,
  );
  if (ties.length > 0) {
    throw new SluiceError(
      'AUTO_CDC_SEQUENCE_TIE',
      `two different change events for '${dataset}' have the same key and SEQUENCE BY value (${JSON.stringify(ties[0], (_, v) => (typeof v === 'bigint' ? String(v) : v))}); which one wins would be undefined — sequence events uniquely per key`,
      { dataset, params: { sequenceBy: cdc.sequenceBy } },
    );
  }
  return true;
}

/**
 * Applies the change events of `eventsSql` (the flow's bound query for this batch) to the target
 * and the state table (see the module comment). Returns what changed in the target.
 */
export async function applyCdcBatch(
  tables: TableCache,
  conn: DuckDBConnection,
  t: CdcTables,
  eventsSql: string,
  b: CdcBatch,
): Promise<CdcOutcome> {
  const dataset = t.target.dataset.name;
  const { cdc } = b;
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${EVENTS} AS SELECT * FROM (${eventsSql})`);
  try {
    const described = await queryRows<{ column_name: string; column_type: string }>(
      conn,
      `DESCRIBE ${EVENTS}`,
    );
    const computed = new Set([CDC_SEQUENCE_COLUMN, CDC_DELETE_COLUMN, CDC_TRUNCATE_COLUMN]);
    const sourceColumns = described.map((d) => d.column_name).filter((c) => !computed.has(c));
    const typeOf = new Map(described.map((d) => [d.column_name, d.column_type]));
    unknownColumns(cdc, sourceColumns, dataset);
    const keyNames = sourceColumns.filter((c) => cdc.keys.some((k) => k.toLowerCase() === c.toLowerCase()));
    const keys = keyNames.map(id).join(', ');
    const inputRows = await count(conn, `SELECT 1 FROM ${EVENTS}`);
    const repeated = await checkEvents(conn, cdc, keys, dataset);
    const columns = selected(cdc.columns, sourceColumns);
    const seqType = typeOf.get(CDC_SEQUENCE_COLUMN)!;
    // Databricks keeps a NULL *field* of a struct too (nested IGNORE NULL UPDATES); sluice keeps
    // whole values only, so a struct among the ignored columns is refused rather than overwritten.
    const nested = cdc.ignoreNullUpdates
      ? selected(cdc.ignoreNullUpdates, columns).filter((c) => /^STRUCT\(/i.test(typeOf.get(c) ?? ''))
      : [];
    if (nested.length > 0) {
      throw new SluiceError(
        'UNSUPPORTED_SQL_SYNTAX',
        `IGNORE NULL UPDATES on struct column${nested.length > 1 ? 's' : ''} ${nested.join(', ')} of '${dataset}' is not supported (Databricks keeps NULL fields inside structs too); leave ${nested.length > 1 ? 'them' : 'it'} out with IGNORE NULL UPDATES ON * EXCEPT (…)`,
        { dataset, params: { construct: 'IGNORE NULL UPDATES on a struct column', columns: nested } },
      );
    }

    // The state table, created on the first batch: SCD 1 keeps one row per key, SCD 2 the history
    // of every event (see cdc-scd2.ts).
    const scd2 = cdc.scdType === 2;
    const shape = { columns, keyNames };
    const stateColumns: QueryColumns = [
      ...keyNames.map((k) => ({ name: k, type: typeOf.get(k)! })),
      { name: STATE_SEQ, type: seqType },
      { name: STATE_DELETED, type: 'BOOLEAN' },
      { name: STATE_TRUNCATE, type: 'BOOLEAN' },
      ...(scd2
        ? valueColumns(shape).map((c) => ({ name: c, type: typeOf.get(c)! }))
        : [{ name: STATE_DELETED_AT, type: 'BIGINT' }]),
    ];
    // SCD 1's state changes the rows of the batch's keys, spread over all its files: with deletion
    // vectors (as on the target) those rows are marked, not every file rewritten. SCD 2's only grows.
    const statePrep = await prepareTable(tables, t.state.path, t.state.dataset, stateColumns, {
      replaceSchema: false,
      flow: b.flow,
      ...(scd2 ? {} : { defaultProperties: CDC_TARGET_DEFAULTS }),
    });
    const history = snapshotScanSql(statePrep.snapshot);
    const on = (l: string, r: string) => keyNames.map((k) => `${l}.${id(k)} = ${r}.${id(k)}`).join(' AND ');
    // The state is read once, for the keys of this batch (and SCD 1's truncate row): every step
    // below reads only those keys' rows, except a truncate's deletes (of every key) and SCD 2's
    // late events (the history's values of their keys). SCD 2 reads its keys and sequences only.
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${TOUCHED_STATE} AS SELECT ${scd2 ? `${keys}, ${id(STATE_SEQ)}, ${id(STATE_DELETED)}` : '*'} FROM (${history}) h
       WHERE ${scd2 ? '' : `h.${id(STATE_TRUNCATE)} OR `}EXISTS (SELECT 1 FROM ${EVENTS} e WHERE ${on('e', 'h')})`,
    );
    const touched = `SELECT * FROM ${TOUCHED_STATE}`;
    // SCD 2: the history's rows one per key.
    if (scd2)
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${KEY_STATE} AS ${historyStateSql(touched, keyNames)}`);
    const state = scd2 ? `SELECT * FROM ${KEY_STATE}` : touched;

    // A truncate (SCD 1) is a delete of every key at its sequence: events not newer than the
    // latest truncate are stale for every key, present or future.
    const seq = id(CDC_SEQUENCE_COLUMN);
    const trunc = id(CDC_TRUNCATE_COLUMN);
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${TRUNCATE} AS SELECT
         (SELECT max(x) FROM (SELECT ${id(STATE_SEQ)} AS x FROM (${state}) WHERE ${id(STATE_TRUNCATE)}
                              UNION ALL SELECT ${seq} FROM ${EVENTS} WHERE ${trunc})) AS w,
         CASE WHEN cur IS NOT NULL AND (prev IS NULL OR cur > prev) THEN cur END AS t_new
       FROM (SELECT (SELECT max(${id(STATE_SEQ)}) FROM (${state}) WHERE ${id(STATE_TRUNCATE)}) AS prev,
                    (SELECT max(${seq}) FROM ${EVENTS} WHERE ${trunc}) AS cur)`,
    );
    // Fresh events: SCD 1 drops stale ones (not newer than the key's state or the latest
    // truncate); SCD 2 keeps every event its history does not hold yet (late ones included).
    // Exact duplicates collapse: after checkEvents, events with one key and sequence are equal.
    const distinct = repeated
      ? `DISTINCT ON (${[...keyNames.map((k) => `e.${id(k)}`), `e.${seq}`].join(', ')})`
      : '';
    const fresh = scd2
      ? `SELECT ${distinct} e.* FROM ${EVENTS} e
         WHERE NOT EXISTS (SELECT 1 FROM ${TOUCHED_STATE} h WHERE ${on('e', 'h')} AND e.${seq} = h.${id(STATE_SEQ)})`
      : `SELECT ${distinct} e.* FROM ${EVENTS} e LEFT JOIN (${state}) s ON ${on('e', 's')}
         CROSS JOIN ${TRUNCATE} tr
         WHERE NOT e.${trunc} AND (s.${id(STATE_SEQ)} IS NULL OR e.${seq} > s.${id(STATE_SEQ)})
           AND (tr.w IS NULL OR e.${seq} > tr.w)`;
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${FRESH} AS ${fresh}`);

    const target = await applyToTarget(
      tables,
      conn,
      t,
      b,
      { columns, keyNames, typeOf, seqType, state },
      { all: history, touched },
    );
    crashPoint('cdc-between-commits', b.flow);
    await applyToState(tables, conn, t, b, shape);
    return { inputRows, ...target };
  } finally {
    for (const tmp of [
      EVENTS,
      FRESH,
      TARGET_CHANGES,
      STATE_CHANGES,
      TRUNCATE,
      KEY_STATE,
      TOUCHED_STATE,
      TARGET_ROWS,
    ])
      await conn.run(`DROP TABLE IF EXISTS ${tmp}`).catch(() => {});
  }
}

async function applyToTarget(
  tables: TableCache,
  conn: DuckDBConnection,
  t: CdcTables,
  b: CdcBatch,
  s: TargetShape,
  /** SQL of the state's rows before this batch: all of them, and those of the batch's keys. */
  history: { readonly all: string; readonly touched: string },
): Promise<Omit<CdcOutcome, 'inputRows'>> {
  const { cdc } = b;
  const keys = s.keyNames.map(id).join(', ');
  const seq = id(CDC_SEQUENCE_COLUMN);
  const del = id(CDC_DELETE_COLUMN);
  const scd2 = cdc.scdType === 2;
  const targetColumns: QueryColumns = [
    ...s.columns.map((c) => ({ name: c, type: s.typeOf.get(c)! })),
    ...(scd2
      ? [
          { name: SCD2_START_COLUMN, type: s.seqType },
          { name: SCD2_END_COLUMN, type: s.seqType },
        ]
      : []),
  ];
  const prep = await prepareTable(tables, t.target.path, t.target.dataset, targetColumns, {
    replaceSchema: false,
    flow: b.flow,
    defaultProperties: CDC_TARGET_DEFAULTS,
  });
  const done = (prep.snapshot.txns.get(b.appId) ?? -1) >= b.batchId;
  if (done) return { upsertedRows: 0, deletedRows: 0, outputBytes: 0 };
  const rows = snapshotScanSql(prep.snapshot);
  // SCD 2 reads the target once: the rows of the batch's keys its changes can touch, kept with
  // their files and positions for the row-level change below (not read again there).
  if (scd2) {
    // Keys with only newer events change their open version only; late keys any version.
    const readRows = async (lateKeys: string | undefined) => {
      const onLate = s.keyNames.map((k) => `l.${id(k)} = o.${id(k)}`).join(' AND ');
      const open = `o.${id(SCD2_END_COLUMN)} IS NULL`;
      await readRowsOfKeys(
        conn,
        prep.snapshot,
        s.keyNames,
        `(SELECT DISTINCT ${keys} FROM ${FRESH})`,
        TARGET_ROWS,
        lateKeys === undefined ? open : `${open} OR EXISTS (SELECT 1 FROM ${lateKeys} l WHERE ${onLate})`,
      );
      return `SELECT * FROM ${TARGET_ROWS}`;
    };
    // Late events replay their keys' whole history, values included: read then, and only then.
    await scd2Changes(conn, cdc, s, readRows, history.all, TARGET_CHANGES);
  } else {
    const values = valueColumns(s);
    const touchedKeys = `(SELECT DISTINCT ${keys} FROM ${FRESH})`;
    const on = s.keyNames.map((k) => `r.${id(k)} = k.${id(k)}`).join(' AND ');
    const sv = values.map((c) => `r.${id(c)}`).join(', ');
    const comma = values.length ? ', ' : '';
    // The row the target holds, sequenced at the state's sequence for its key.
    // A row older than this batch's truncate is gone before the batch's events apply.
    const stOn = s.keyNames.map((k) => `st.${id(k)} = r.${id(k)}`).join(' AND ');
    const current = `SELECT r.${s.keyNames.map(id).join(', r.')}${comma}${sv}, st.${id(STATE_SEQ)} AS ${seq}, false AS ${del}, true AS __from_target
      FROM (${rows}) r JOIN ${touchedKeys} k ON ${on} JOIN (${s.state}) st ON ${stOn} CROSS JOIN ${TRUNCATE} tr
      WHERE tr.t_new IS NULL OR st.${id(STATE_SEQ)} > tr.t_new`;
    // A truncate in this batch deletes every key's row older than it: the whole target and
    // state are read then, and only then.
    const [tr] = await queryRows<{ n: number }>(
      conn,
      `SELECT count(*) AS n FROM ${TRUNCATE} WHERE t_new IS NOT NULL`,
    );
    const truncated =
      Number(tr?.n ?? 0) === 0
        ? ''
        : `UNION ALL BY NAME SELECT r.${s.keyNames.map(id).join(', r.')}, 'delete' AS ${id(CHANGE_KIND_COLUMN)}
      FROM (${rows}) r JOIN (${history.all}) st ON ${stOn} CROSS JOIN ${TRUNCATE} tr
      WHERE tr.t_new IS NOT NULL AND st.${id(STATE_SEQ)} <= tr.t_new
        AND NOT EXISTS (SELECT 1 FROM ${touchedKeys} k WHERE ${on})`;
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${TARGET_CHANGES} AS SELECT ${s.columns.map(id).join(', ')}, CASE WHEN ${del} THEN 'delete' ELSE 'upsert' END AS ${id(CHANGE_KIND_COLUMN)}
      FROM (${replaySql(cdc, s, FRESH, current)}) QUALIFY row_number() OVER (PARTITION BY ${keys} ORDER BY ${seq} DESC) = 1 AND NOT __from_target
      ${truncated}`,
    );
  }
  const plan: RowChangePlan = await planRowChanges(conn, t.target.path, {
    snapshot: prep.snapshot,
    identity: scd2 ? [...s.keyNames, SCD2_START_COLUMN] : s.keyNames,
    // Declared columns the flow does not write are NULL in the rows it upserts.
    changes: withUnwrittenDeclared(
      TARGET_CHANGES,
      t.target.dataset,
      targetColumns.map((c) => c.name),
    ),
    ...(scd2 ? { rowsRead: TARGET_ROWS } : {}),
  });
  crashPoint('before-commit', b.flow);
  const version = await tables.commit(t.target.path, [...prep.metadataActions, ...plan.actions], {
    readVersion: prep.snapshot.version,
    snapshot: prep.snapshot,
    operation: 'MERGE',
    operationParameters: { predicate: JSON.stringify(`AUTO CDC ON ${s.keyNames.join(', ')}`) },
    operationMetrics: Object.fromEntries(Object.entries(plan.metrics).map(([k, v]) => [k, String(v)])),
    isBlindAppend: false,
    txn: { appId: b.appId, version: b.batchId },
    commitInfo: { sluice: { flow: b.flow, batchId: b.batchId } },
  });
  crashPoint('after-commit', b.flow);
  const m = plan.metrics;
  // SCD 2 deletes no row: a delete closes the current version (counted as a deleted row).
  const deletes = scd2
    ? await count(conn, `SELECT 1 FROM ${TARGET_CHANGES} WHERE __closed_by_delete`)
    : m.numTargetRowsDeleted;
  const bytes = plan.actions.reduce((n, a) => n + ('add' in a ? a.add.size : 0), 0);
  return {
    upsertedRows: m.numTargetRowsInserted + m.numTargetRowsUpdated,
    deletedRows: deletes,
    outputBytes: bytes,
    tableVersion: version,
  };
}

async function applyToState(
  tables: TableCache,
  conn: DuckDBConnection,
  t: CdcTables,
  b: CdcBatch,
  shape: { readonly columns: readonly string[]; readonly keyNames: readonly string[] },
): Promise<void> {
  const snap = await tables.snapshot(t.state.path);
  if ((snap.txns.get(b.appId) ?? -1) >= b.batchId) return;
  const commit = (actions: readonly Action[], blind: boolean) =>
    tables.commit(t.state.path, actions, {
      readVersion: snap.version,
      snapshot: snap,
      operation: blind ? 'WRITE' : 'MERGE',
      isBlindAppend: blind,
      txn: { appId: b.appId, version: b.batchId },
      commitInfo: { sluice: { flow: b.flow, batchId: b.batchId } },
    });
  if (b.cdc.scdType === 2) {
    // The SCD 2 history only grows: this batch's fresh events are appended.
    const adds = await writeDataFiles(conn, t.state.path, historyRowsSql(shape), {
      schema: snap.schema,
      partitionColumns: snap.partitionColumns,
    });
    await commit(
      adds.map((add) => ({ add })),
      true,
    );
    return;
  }
  const keys = shape.keyNames.map(id).join(', ');
  const seq = id(CDC_SEQUENCE_COLUMN);
  const del = id(CDC_DELETE_COLUMN);
  const at = Math.trunc(b.plannedAtMs);
  // Tombstones recorded longer than the retention before this batch are garbage-collected (their
  // keys untouched by it): a later event older than such a delete finds no tombstone and applies.
  const cutoff = at - Math.max(0, Math.trunc(b.tombstoneRetentionMs));
  const on = shape.keyNames.map((k) => `f.${id(k)} = s.${id(k)}`).join(' AND ');
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${STATE_CHANGES} AS SELECT ${keys}, ${seq} AS ${id(STATE_SEQ)}, ${del} AS ${id(STATE_DELETED)}, false AS ${id(STATE_TRUNCATE)},
       CASE WHEN ${del} THEN CAST(${at} AS BIGINT) END AS ${id(STATE_DELETED_AT)}, 'upsert' AS ${id(CHANGE_KIND_COLUMN)}
     FROM ${FRESH} QUALIFY row_number() OVER (PARTITION BY ${keys} ORDER BY ${seq} DESC) = 1
     UNION ALL BY NAME SELECT w AS ${id(STATE_SEQ)}, false AS ${id(STATE_DELETED)}, true AS ${id(STATE_TRUNCATE)}, 'upsert' AS ${id(CHANGE_KIND_COLUMN)}
     FROM ${TRUNCATE} WHERE t_new IS NOT NULL
     UNION ALL BY NAME SELECT ${shape.keyNames.map((k) => `s.${id(k)}`).join(', ')}, 'delete' AS ${id(CHANGE_KIND_COLUMN)}
     FROM (${snapshotScanSql(snap)}) s
     WHERE s.${id(STATE_DELETED)} AND NOT s.${id(STATE_TRUNCATE)} AND s.${id(STATE_DELETED_AT)} < ${cutoff}
       AND NOT EXISTS (SELECT 1 FROM ${FRESH} f WHERE ${on})`,
  );
  const plan = await planRowChanges(conn, t.state.path, {
    snapshot: snap,
    identity: shape.keyNames,
    changes: STATE_CHANGES,
  });
  await commit(plan.actions, false);
}
