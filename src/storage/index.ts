/**
 * sluice's storage layer: a local object store and a protocol-exact Delta Lake implementation
 * (log replay, snapshots, scans, change data feed, commits, checkpoints) with its maintenance
 * (compaction, expired-log clean-up, vacuum, stale temp files).
 * Knows nothing of pipelines.
 */
export * from './delta/actions.ts';
export { CDF_COLUMNS, changesSql, snapshotChangesSql } from './delta/cdf-read.ts';
export {
  CHANGE_DATA_DIR,
  type ChangeType,
  cdfEnabled,
  withChangeType,
  writeChangeDataFiles,
} from './delta/cdf-write.ts';
export { type CheckpointResult, checkpointFilePath, writeCheckpoint } from './delta/checkpoint-write.ts';
export {
  type CommitOptions,
  type CommitResult,
  commit,
  commitFilePath,
  DEFAULT_CHECKPOINT_INTERVAL,
  DEFAULT_MAX_RETRIES,
  ENGINE_INFO,
} from './delta/commit.ts';
export { type WriteLayout, type WrittenFile, writeParquetFiles } from './delta/data-files.ts';
export { assertReadable, isChangeDataFeedEnabled } from './delta/features.ts';
export {
  cleanupExpiredLogs,
  type LogCleanupOptions,
  type LogCleanupResult,
} from './delta/log-cleanup.ts';
export {
  assertMaintainable,
  type CompactionOptions,
  type CompactionResult,
  compactionBins,
  compactTable,
} from './delta/optimize.ts';
export {
  decodeAddPath,
  encodeAddPath,
  encodePartitionPath,
  HIVE_DEFAULT_PARTITION,
  serializePartitionValue,
} from './delta/partitions.ts';
export {
  CHANGE_KIND_COLUMN,
  planRowChanges,
  type RowChangePlan,
  type RowChangeRequest,
  readRowsOfKeys,
} from './delta/row-changes.ts';
export {
  dataFilePath,
  filesScanSql,
  type ScanFile,
  type ScanOptions,
  snapshotFilesScanSql,
  snapshotScanSql,
} from './delta/scan.ts';
export {
  type ArrayType,
  type DeltaType,
  deltaTypeToDuckDB,
  duckDBColumnsToStructType,
  duckDBTypeToDelta,
  type MapType,
  type PrimitiveType,
  parseSchemaString,
  type StructField,
  type StructType,
  serializeSchema,
  structTypeToDuckDBColumns,
} from './delta/schema.ts';
export {
  applyCommit,
  commitTimestamp,
  type LoadSnapshotOptions,
  latestVersion,
  loadSnapshot,
  readCommit,
  type Snapshot,
} from './delta/snapshot.ts';
export { numRecordsOf } from './delta/stats.ts';
export {
  appendRows,
  type CreateTableOptions,
  createTable,
  evolveSchema,
  type NewColumn,
  overwriteRows,
  removeAll,
  requiredProtocol,
  txnVersion,
  type WriteRowsOptions,
  writeDataFiles,
} from './delta/table.ts';
export {
  DEFAULT_DELETED_FILE_RETENTION_MS,
  DEFAULT_LOG_RETENTION_MS,
  DEFAULT_TARGET_FILE_SIZE,
  durationProperty,
  parseIntervalMs,
  tableProperty,
} from './delta/table-properties.ts';
export {
  DEFAULT_RETENTION_MS,
  type VacuumOptions,
  type VacuumResult,
  vacuum,
  WRITE_SLACK_MS,
} from './delta/vacuum.ts';
export { assertWritable, type WriteTarget } from './delta/writer-features.ts';
export * as objectStore from './object-store.ts';
export * from './pipeline-layout.ts';
export {
  removeStaleTemps,
  STALE_TEMP_AGE_MS,
  type TempSweepOptions,
  type TempSweepResult,
} from './temp-files.ts';
