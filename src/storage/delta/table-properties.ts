/**
 * The Delta table properties that govern maintenance, read from a table's metaData
 * configuration with Delta's defaults:
 *
 * | property                              | default            | used by                                  |
 * | ------------------------------------- | ------------------ | ---------------------------------------- |
 * | `delta.checkpointInterval`            | 10                 | commit: a checkpoint every N versions    |
 * | `delta.logRetentionDuration`          | interval 30 days   | expired-log clean-up                     |
 * | `delta.deletedFileRetentionDuration`  | interval 1 week    | vacuum (and, as a floor, log clean-up)   |
 * | `delta.enableExpiredLogCleanup`       | true               | expired-log clean-up on/off              |
 * | `delta.targetFileSize`                | 128 MiB (sluice)   | compaction's output file size            |
 *
 * Durations use Spark's interval syntax (`interval 30 days`, `interval 1 week`, `7 days`,
 * `interval 2 hours 30 minutes`); months and years are refused, as in Delta (a month has no fixed
 * length). A value that does not parse is DELTA_INVALID_TABLE_PROPERTY: maintenance then leaves
 * that operation alone rather than guess a retention.
 */
import { SluiceError } from '../../errors/index.ts';
import type { MetadataAction } from './actions.ts';

const DAY_MS = 24 * 3600 * 1000;

/** Delta's default `delta.logRetentionDuration`: 30 days. */
export const DEFAULT_LOG_RETENTION_MS = 30 * DAY_MS;

/** Delta's default `delta.deletedFileRetentionDuration`: 7 days. */
export const DEFAULT_DELETED_FILE_RETENTION_MS = 7 * DAY_MS;

/**
 * Compaction's output file size when the table sets no `delta.targetFileSize`: 128 MiB, the size
 * Databricks' auto compaction aims at (large enough that per-file overhead is negligible, small
 * enough that one rewrite stays cheap on a laptop).
 */
export const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024;

const UNIT_MS: Readonly<Record<string, number>> = {
  microsecond: 0.001,
  millisecond: 1,
  ms: 1,
  second: 1000,
  sec: 1000,
  s: 1000,
  minute: 60_000,
  min: 60_000,
  hour: 3_600_000,
  h: 3_600_000,
  day: DAY_MS,
  d: DAY_MS,
  week: 7 * DAY_MS,
  w: 7 * DAY_MS,
};

/**
 * Milliseconds of a Spark interval string (`interval 7 days`, `1 week 2 hours`; also the short
 * units `30 s`, `10 min`, `2 h`, `500 ms`), or undefined.
 */
export function parseIntervalMs(text: string): number | undefined {
  const words = text
    .trim()
    .toLowerCase()
    .replace(/(\d)([a-z])/g, '$1 $2')
    .split(/\s+/);
  if (words[0] === 'interval') words.shift();
  if (words.length === 0 || words.length % 2 !== 0) return undefined;
  let ms = 0;
  for (let i = 0; i < words.length; i += 2) {
    const n = words[i] as string;
    const unit = words[i + 1] as string;
    const per = UNIT_MS[unit] ?? UNIT_MS[unit.replace(/s$/, '')];
    if (per === undefined || !/^\d+(\.\d+)?$/.test(n)) return undefined;
    ms += Number(n) * per;
  }
  return Math.round(ms);
}

function config(metadata: Pick<MetadataAction, 'configuration'>, key: string): string | undefined {
  const c = metadata.configuration ?? {};
  if (c[key] !== undefined) return c[key];
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(c)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function invalid(table: string, key: string, value: string, expected: string): SluiceError {
  return new SluiceError(
    'DELTA_INVALID_TABLE_PROPERTY',
    `table property ${key} = '${value}' of ${table} is not ${expected}`,
    { params: { table, property: key, value } },
  );
}

/**
 * A duration property in milliseconds (its default when unset).
 * @throws SluiceError DELTA_INVALID_TABLE_PROPERTY when the value is not an interval.
 */
export function durationProperty(
  metadata: Pick<MetadataAction, 'configuration'>,
  key: 'delta.logRetentionDuration' | 'delta.deletedFileRetentionDuration',
  table: string,
): number {
  const v = config(metadata, key);
  if (v === undefined) {
    return key === 'delta.logRetentionDuration'
      ? DEFAULT_LOG_RETENTION_MS
      : DEFAULT_DELETED_FILE_RETENTION_MS;
  }
  const ms = parseIntervalMs(v);
  if (ms === undefined) throw invalid(table, key, v, "an interval such as 'interval 7 days'");
  return ms;
}

/** `delta.checkpointInterval` when set to a positive integer, else undefined. */
export function checkpointIntervalProperty(
  metadata: Pick<MetadataAction, 'configuration'> | undefined,
): number | undefined {
  if (!metadata) return undefined;
  const v = Number(config(metadata, 'delta.checkpointInterval'));
  return Number.isInteger(v) && v > 0 ? v : undefined;
}

/** `delta.enableExpiredLogCleanup` (default true). */
export function expiredLogCleanupEnabled(metadata: Pick<MetadataAction, 'configuration'>): boolean {
  return (config(metadata, 'delta.enableExpiredLogCleanup') ?? 'true').trim().toLowerCase() !== 'false';
}

/**
 * `delta.targetFileSize` in bytes (a number, optionally with a unit: `64mb`, `1gb`), else the
 * default. @throws SluiceError DELTA_INVALID_TABLE_PROPERTY for a value that is not a size.
 */
export function targetFileSizeProperty(
  metadata: Pick<MetadataAction, 'configuration'>,
  table: string,
): number {
  const v = config(metadata, 'delta.targetFileSize');
  if (v === undefined) return DEFAULT_TARGET_FILE_SIZE;
  const m = /^\s*(\d+)\s*(b|k|kb|m|mb|g|gb)?\s*$/i.exec(v);
  if (!m || Number(m[1]) <= 0) throw invalid(table, 'delta.targetFileSize', v, 'a size such as 128mb');
  const unit = (m[2] ?? 'b').toLowerCase()[0] as string;
  const scale = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Number(m[1]) * scale;
}

/** A table property read case-insensitively (e.g. `pipelines.autoOptimize.managed`). */
export function tableProperty(
  metadata: Pick<MetadataAction, 'configuration'>,
  key: string,
): string | undefined {
  return config(metadata, key);
}
