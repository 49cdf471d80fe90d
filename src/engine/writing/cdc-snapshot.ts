/**
 * Applying one snapshot of an AUTO CDC FROM SNAPSHOT flow, all in DuckDB SQL.
 *
 * The previous snapshot is what the target holds (SCD 1: its rows; SCD 2: its open versions,
 * __END_AT NULL), so the flow keeps no other state. Per snapshot S numbered v:
 *
 *   S ─ check: no NULL key, no two rows with one key
 *     ─ SCD 1: rows of S that the target does not hold as they are → upserted; keys of the target
 *              not in S → deleted
 *     ─ SCD 2: a key new to S opens a version [v, NULL); a key whose tracked columns changed closes
 *              its open version at v and opens [v, NULL); a change to untracked columns only
 *              updates the open version in place; a key gone from S closes its open version at v
 *     ─ row-level changes (copy-on-write), one commit with txn {appId, batch}
 *
 * A replay reads the same snapshot (its offset pins the inputs' versions) and is skipped when
 * its txn is already in the target.
 */
import { SluiceError } from '../../errors/index.ts';
import {
  type AutoCdcFromSnapshot,
  type Dataset,
  SCD2_END_COLUMN,
  SCD2_START_COLUMN,
} from '../../model/index.ts';
import { CHANGE_KIND_COLUMN, planRowChanges, snapshotScanSql } from '../../storage/index.ts';
import { crashPoint, type DuckDBConnection, queryRows, sqlIdent } from '../../util/index.ts';
import { withUnwrittenDeclared } from '../tables/declared-schema.ts';
import { prepareTable, type QueryColumns } from '../tables/prepare-table.ts';
import type { TableCache } from '../tables/table-cache.ts';
import { CDC_TARGET_DEFAULTS, selected } from './cdc-replay.ts';

const SNAPSHOT = '__sluice_cdc_snapshot';
const CHANGES = '__sluice_cdc_snapshot_changes';

export interface SnapshotBatch {
  readonly flow: string;
  readonly appId: string;
  readonly batchId: number;
  /** The snapshot's number (SCD 2 interval bound): batchId + 1, or the version a snapshot function gave. */
  readonly version: number | bigint;
  readonly cdc: AutoCdcFromSnapshot;
}

/** What one snapshot did to the target (Lakeflow's CDC flow metrics). */
export interface SnapshotOutcome {
  readonly inputRows: number;
  readonly upsertedRows: number;
  readonly deletedRows: number;
  readonly outputBytes: number;
  readonly tableVersion?: number;
}

const id = sqlIdent;

/**
 * Applies the snapshot `snapshotSql` (the flow's bound query) to the target at `path` (see the
 * module comment) and returns what changed.
 * @throws SluiceError AUTO_CDC_SNAPSHOT_DUPLICATE_KEY, AUTO_CDC_INVALID_DEFINITION (a key the
 *   snapshot lacks).
 */
export async function applySnapshot(
  tables: TableCache,
  conn: DuckDBConnection,
  target: { readonly path: string; readonly dataset: Dataset },
  snapshotSql: string,
  b: SnapshotBatch,
): Promise<SnapshotOutcome> {
  const dataset = target.dataset.name;
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${SNAPSHOT} AS SELECT * FROM (${snapshotSql})`);
  try {
    const described = await queryRows<{ column_name: string; column_type: string }>(
      conn,
      `DESCRIBE ${SNAPSHOT}`,
    );
    const columns = described.map((d) => d.column_name);
    const keyNames = b.cdc.keys.map((k) => columns.find((c) => c.toLowerCase() === k.toLowerCase()) ?? k);
    const missing = keyNames.filter((k) => !columns.includes(k));
    if (missing.length > 0) {
      throw new SluiceError(
        'AUTO_CDC_INVALID_DEFINITION',
        `the snapshot of '${b.cdc.source}' has no key column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (it has ${columns.join(', ')})`,
        { dataset, params: { clause: 'keys', columns: missing } },
      );
    }
    const keys = keyNames.map(id).join(', ');
    const [dup] = await queryRows<{ n: number }>(
      conn,
      `SELECT count(*) AS n FROM (SELECT ${keys} FROM ${SNAPSHOT} GROUP BY ALL HAVING count(*) > 1
         UNION ALL SELECT ${keys} FROM ${SNAPSHOT} WHERE ${keyNames.map((k) => `${id(k)} IS NULL`).join(' OR ')})`,
    );
    if (Number(dup?.n ?? 0) > 0) {
      throw new SluiceError(
        'AUTO_CDC_SNAPSHOT_DUPLICATE_KEY',
        `snapshot ${b.version} of '${b.cdc.source}' for '${dataset}' holds two rows with one key (${b.cdc.keys.join(', ')}) or a NULL key; a snapshot holds one row per key`,
        { dataset, params: { keys: b.cdc.keys, version: String(b.version) } },
      );
    }
    const scd2 = b.cdc.scdType === 2;
    const typeOf = new Map(described.map((d) => [d.column_name, d.column_type]));
    const targetColumns: QueryColumns = [
      ...columns.map((c) => ({ name: c, type: typeOf.get(c)! })),
      ...(scd2
        ? [
            { name: SCD2_START_COLUMN, type: 'BIGINT' },
            { name: SCD2_END_COLUMN, type: 'BIGINT' },
          ]
        : []),
    ];
    const prep = await prepareTable(tables, target.path, target.dataset, targetColumns, {
      replaceSchema: false,
      flow: b.flow,
      defaultProperties: CDC_TARGET_DEFAULTS,
    });
    const inputRows = Number(
      (await queryRows<{ n: number }>(conn, `SELECT count(*) AS n FROM ${SNAPSHOT}`))[0]?.n ?? 0,
    );
    if ((prep.snapshot.txns.get(b.appId) ?? -1) >= b.batchId)
      return { inputRows, upsertedRows: 0, deletedRows: 0, outputBytes: 0 };
    const rows = snapshotScanSql(prep.snapshot);
    const changes = scd2 ? scd2Changes(b, columns, keyNames, rows) : scd1Changes(columns, keyNames, rows);
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${CHANGES} AS ${changes}`);
    const plan = await planRowChanges(conn, target.path, {
      snapshot: prep.snapshot,
      identity: scd2 ? [...keyNames, SCD2_START_COLUMN] : keyNames,
      // Declared columns the flow does not write are NULL in the rows it upserts.
      changes: withUnwrittenDeclared(
        CHANGES,
        target.dataset,
        targetColumns.map((c) => c.name),
      ),
    });
    crashPoint('before-commit', b.flow);
    const version = await tables.commit(target.path, [...prep.metadataActions, ...plan.actions], {
      readVersion: prep.snapshot.version,
      snapshot: prep.snapshot,
      operation: 'MERGE',
      operationParameters: { predicate: JSON.stringify(`AUTO CDC FROM SNAPSHOT ON ${keyNames.join(', ')}`) },
      operationMetrics: Object.fromEntries(Object.entries(plan.metrics).map(([k, v]) => [k, String(v)])),
      isBlindAppend: false,
      txn: { appId: b.appId, version: b.batchId },
      commitInfo: {
        sluice: {
          flow: b.flow,
          batchId: b.batchId,
          snapshotVersion: typeof b.version === 'bigint' ? String(b.version) : b.version,
        },
      },
    });
    crashPoint('after-commit', b.flow);
    const [closed] = await queryRows<{ n: number }>(
      conn,
      `SELECT count(*) AS n FROM ${CHANGES} WHERE ${scd2 ? '__deleted_key' : `${id(CHANGE_KIND_COLUMN)} = 'delete'`}`,
    );
    const m = plan.metrics;
    const deleted = Number(closed?.n ?? 0);
    return {
      inputRows,
      upsertedRows: m.numTargetRowsInserted + m.numTargetRowsUpdated - (scd2 ? deleted : 0),
      deletedRows: deleted,
      outputBytes: plan.actions.reduce((n, a) => n + ('add' in a ? a.add.size : 0), 0),
      tableVersion: version,
    };
  } finally {
    for (const tmp of [SNAPSHOT, CHANGES]) await conn.run(`DROP TABLE IF EXISTS ${tmp}`).catch(() => {});
  }
}

/** SCD 1: rows new or changed are upserted, keys gone are deleted. */
function scd1Changes(columns: readonly string[], keyNames: readonly string[], rows: string): string {
  const same = columns.map((c) => `t.${id(c)} IS NOT DISTINCT FROM s.${id(c)}`).join(' AND ');
  const eq = keyNames.map((k) => `t.${id(k)} = s.${id(k)}`).join(' AND ');
  const kind = id(CHANGE_KIND_COLUMN);
  return `SELECT s.*, 'upsert' AS ${kind} FROM ${SNAPSHOT} s WHERE NOT EXISTS (SELECT 1 FROM (${rows}) t WHERE ${same})
    UNION ALL BY NAME
    SELECT ${keyNames.map((k) => `t.${id(k)}`).join(', ')}, 'delete' AS ${kind} FROM (${rows}) t
    WHERE NOT EXISTS (SELECT 1 FROM ${SNAPSHOT} s WHERE ${eq})`;
}

/**
 * SCD 2 (see the module comment), against the target's open versions. `__deleted_key` marks the
 * versions closed because their key left the snapshot.
 */
function scd2Changes(
  b: SnapshotBatch,
  columns: readonly string[],
  keyNames: readonly string[],
  rows: string,
): string {
  const values = columns.filter((c) => !keyNames.includes(c));
  const tracked = selected(b.cdc.trackHistory, values);
  const v = String(b.version);
  const kind = id(CHANGE_KIND_COLUMN);
  const start = id(SCD2_START_COLUMN);
  const end = id(SCD2_END_COLUMN);
  const eq = keyNames.map((k) => `o.${id(k)} = s.${id(k)}`).join(' AND ');
  const differs = (cols: readonly string[]) =>
    cols.length === 0 ? 'false' : cols.map((c) => `o.${id(c)} IS DISTINCT FROM s.${id(c)}`).join(' OR ');
  const open = `(SELECT * FROM (${rows}) WHERE ${end} IS NULL)`;
  const all = columns.map(id);
  // Each snapshot row with the key's open version (if any), classified.
  const joined = `SELECT s.*, o.${start} AS __open_start, o.${id(keyNames[0]!)} IS NOT NULL AS __has_open,
      (${differs(tracked)}) AS __tracked_changed, (${differs(values)}) AS __changed
    FROM ${SNAPSHOT} s LEFT JOIN ${open} o ON ${eq}`;
  const opened = `SELECT ${all.join(', ')}, ${v}::BIGINT AS ${start}, NULL::BIGINT AS ${end}, 'upsert' AS ${kind}, false AS __deleted_key
    FROM (${joined}) WHERE NOT __has_open OR __tracked_changed`;
  const inPlace = `SELECT ${all.join(', ')}, __open_start AS ${start}, NULL::BIGINT AS ${end}, 'upsert' AS ${kind}, false AS __deleted_key
    FROM (${joined}) WHERE __has_open AND NOT __tracked_changed AND __changed`;
  const closedByChange = `SELECT ${all.map((c) => `o.${c}`).join(', ')}, o.${start}, ${v}::BIGINT AS ${end}, 'upsert' AS ${kind}, false AS __deleted_key
    FROM ${open} o JOIN ${SNAPSHOT} s ON ${eq} WHERE ${differs(tracked)}`;
  const closedByDelete = `SELECT ${all.map((c) => `o.${c}`).join(', ')}, o.${start}, ${v}::BIGINT AS ${end}, 'upsert' AS ${kind}, true AS __deleted_key
    FROM ${open} o WHERE NOT EXISTS (SELECT 1 FROM ${SNAPSHOT} s WHERE ${eq})`;
  return [opened, inPlace, closedByChange, closedByDelete].join('\n    UNION ALL BY NAME ');
}
