/**
 * Classic single-file Parquet checkpoints (`_delta_log/<v>.checkpoint.parquet`) and
 * `_last_checkpoint`, written by DuckDB with the column types the Delta protocol prescribes
 * (so delta-kernel and Spark read them).
 *
 * Invariants: the checkpoint appears atomically (DuckDB writes a dot-named temp file, which is
 * fsynced and renamed), and `_last_checkpoint` is replaced only after the checkpoint exists. A
 * crash at any point leaves either no checkpoint (readers replay JSON) or a complete checkpoint
 * with a stale `_last_checkpoint` (readers still find a valid, older starting point), plus at
 * most a temp file that vacuum removes.
 *
 * Contents: one row per action of the snapshot — protocol, metaData, every txn, every live add
 * (with its deletion vector).
 * Remove tombstones are not kept: vacuum decides from the live files of the oldest version a
 * reader may still use and from file ages (vacuum.ts), and expired-log clean-up keeps that
 * version in the log (log-cleanup.ts).
 */
import { randomUUID } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Database,
  type DuckDBConnection,
  sqlString,
  withConnection,
  withDatabase,
} from '../../util/index.ts';
import { publishFile, putAtomic, remove, TEMP_PREFIX } from '../object-store.ts';
import { loadSnapshot, type Snapshot } from './snapshot.ts';

const MAP = 'MAP(VARCHAR, VARCHAR)';

/** DuckDB types of the checkpoint columns, as in the Delta protocol's checkpoint schema. */
const CHECKPOINT_COLUMNS: Readonly<Record<string, string>> = {
  txn: 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)',
  add: `STRUCT(path VARCHAR, partitionValues ${MAP}, size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags ${MAP}, deletionVector STRUCT(storageType VARCHAR, pathOrInlineDv VARCHAR, "offset" INTEGER, sizeInBytes INTEGER, cardinality BIGINT))`,
  remove: `STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues ${MAP}, size BIGINT)`,
  metaData: `STRUCT(id VARCHAR, "name" VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options ${MAP}), schemaString VARCHAR, partitionColumns VARCHAR[], configuration ${MAP}, createdTime BIGINT)`,
  protocol:
    'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])',
};

/** `_delta_log/<20-digit version>.checkpoint.parquet`. */
export function checkpointFilePath(tablePath: string, version: number): string {
  return join(tablePath, '_delta_log', `${String(version).padStart(20, '0')}.checkpoint.parquet`);
}

/** The checkpoint rows of a snapshot as JSON lines (one action per line). */
function checkpointLines(s: Snapshot): string[] {
  const lines: string[] = [];
  lines.push(JSON.stringify({ protocol: s.protocol }));
  const m = s.metadata;
  lines.push(
    JSON.stringify({
      metaData: {
        id: m.id,
        name: m.name ?? null,
        description: m.description ?? null,
        format: { provider: m.format.provider, options: m.format.options ?? {} },
        schemaString: m.schemaString,
        partitionColumns: m.partitionColumns,
        configuration: m.configuration ?? {},
        createdTime: m.createdTime ?? null,
      },
    }),
  );
  for (const [appId, version] of s.txns)
    lines.push(JSON.stringify({ txn: { appId, version, lastUpdated: null } }));
  // The files as the log names them (physical partition values and statistics keys).
  for (const a of s.logFiles) {
    lines.push(
      JSON.stringify({
        add: {
          path: a.path,
          partitionValues: a.partitionValues,
          size: a.size,
          modificationTime: a.modificationTime,
          dataChange: false,
          stats: a.stats ?? null,
          tags: a.tags ?? null,
          deletionVector: a.deletionVector ?? null,
        },
      }),
    );
  }
  return lines;
}

export interface CheckpointResult {
  readonly version: number;
  /** Number of actions (rows) in the checkpoint. */
  readonly size: number;
  readonly sizeInBytes: number;
}

/**
 * Writes the checkpoint of version `version` (or of `snapshot` when given) and then
 * `_last_checkpoint`. Safe to call concurrently for the same version (rename is atomic and
 * both write the same content). `options.base` (an older snapshot of the same table) makes
 * loading the state cost only the commits after it.
 */
export async function writeCheckpoint(
  tablePath: string,
  version: number,
  snapshot?: Snapshot,
  options: { readonly base?: Snapshot; readonly db?: Database } = {},
): Promise<CheckpointResult> {
  const snap =
    snapshot ??
    (await loadSnapshot(tablePath, {
      version,
      ...(options.base ? { base: options.base } : {}),
      ...(options.db ? { db: options.db } : {}),
    }));
  const logDir = join(tablePath, '_delta_log');
  const id = randomUUID();
  const jsonTmp = join(logDir, `${TEMP_PREFIX}checkpoint-${id}.json`);
  const parquetTmp = join(logDir, `${TEMP_PREFIX}checkpoint-${id}.parquet`);
  const target = checkpointFilePath(tablePath, snap.version);
  const lines = checkpointLines(snap);
  try {
    await withDatabase(options.db, (db) =>
      withConnection(db, (conn) => writeParquetCheckpoint(conn, lines, jsonTmp, parquetTmp)),
    );
    await publishFile(parquetTmp, target);
  } finally {
    await remove(jsonTmp).catch(() => {});
    await remove(parquetTmp).catch(() => {});
  }
  const { size: sizeInBytes } = await stat(target);
  const result = { version: snap.version, size: lines.length, sizeInBytes };
  // Never move _last_checkpoint backwards (a slow writer of an older checkpoint may finish late;
  // the remaining race only makes it stale, which readers tolerate).
  const lastPath = join(logDir, '_last_checkpoint');
  const current = await readFile(lastPath, 'utf8').then(
    (t) => Number((JSON.parse(t) as { version?: number }).version ?? -1),
    () => -1,
  );
  if (current < snap.version) {
    // A hint only (readers list the log), so it is not worth two fsyncs.
    await putAtomic(lastPath, JSON.stringify({ ...result, numOfAddFiles: snap.files.length }), {
      durable: false,
    });
  }
  return result;
}

/** Writes the checkpoint's action lines (through a JSON temp file) as one Parquet file. */
async function writeParquetCheckpoint(
  conn: DuckDBConnection,
  lines: readonly string[],
  jsonTmp: string,
  parquetTmp: string,
): Promise<void> {
  await writeFile(jsonTmp, `${lines.join('\n')}\n`);
  // The reader's buffer is twice the largest record it accepts, allocated outside DuckDB's
  // memory limit: accept exactly what these lines need (UTF-8 takes at most 3 bytes per unit).
  const longest = lines.reduce((m, l) => Math.max(m, l.length), 0);
  const maxObject = Math.max(16 * 1024 * 1024, longest * 3 + 1024);
  const columns = Object.entries(CHECKPOINT_COLUMNS)
    .map(([k, v]) => `${k}: ${sqlString(v)}`)
    .join(', ');
  await conn.run(
    `COPY (SELECT txn, add, remove, metaData, protocol FROM read_json(${sqlString(jsonTmp)}, format = 'newline_delimited', columns = {${columns}}, maximum_object_size = ${maxObject})) TO ${sqlString(parquetTmp)} (FORMAT parquet, COMPRESSION zstd)`,
  );
}
