/**
 * Spark's `spark.sql.ansi.enabled`: whether a query body is translated with ANSI mode on (Spark
 * 4's default, sluice's default) or off (the older default of Databricks Runtime, "legacy").
 *
 * Where it is read: the pipeline's `configuration` (spec), extended by each `SET` in a SQL file
 * for the statements after it in that file — Databricks documents that a table or view defined
 * after a `SET` uses the Spark configuration it sets. A TypeScript dataset reads the spec's
 * configuration only.
 */
import { SluiceError, type SourceLocation } from '../errors/index.ts';

/** The Spark configuration key. */
export const ANSI_KEY = 'spark.sql.ansi.enabled';

/**
 * How a query body is translated: `ansi: true` (errors where Spark 4 raises them) or `false`
 * (Spark's non-ANSI results: NULL for malformed text, division by zero, an index out of range…).
 */
export interface SqlMode {
  readonly ansi: boolean;
}

export const ANSI_MODE: SqlMode = Object.freeze({ ansi: true });
export const LEGACY_MODE: SqlMode = Object.freeze({ ansi: false });

/** Whether `value` is a setting of `spark.sql.ansi.enabled` Spark accepts (`true` / `false`, any case, blanks around). */
export function ansiValue(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  return v === 'true' ? true : v === 'false' ? false : undefined;
}

/** LEGACY_MODE_INVALID_SETTING for a value Spark does not accept. */
export function invalidAnsiSetting(value: string, location?: SourceLocation): SluiceError {
  return new SluiceError('LEGACY_MODE_INVALID_SETTING', `${ANSI_KEY} must be true or false, not '${value}'`, {
    params: { key: ANSI_KEY, value },
    ...(location ? { location } : {}),
  });
}

/**
 * The mode of a statement compiled with `configuration` (the spec's, with earlier `SET`s
 * applied). Throws LEGACY_MODE_INVALID_SETTING for a value other than true / false.
 */
export function sqlModeOf(configuration: Readonly<Record<string, string>> | undefined): SqlMode {
  const value = configuration?.[ANSI_KEY];
  if (value === undefined) return ANSI_MODE;
  const ansi = ansiValue(value);
  if (ansi === undefined) throw invalidAnsiSetting(value);
  return ansi ? ANSI_MODE : LEGACY_MODE;
}
