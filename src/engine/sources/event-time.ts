/**
 * A watermarked read's computed event time (`FROM STREAM(x) WATERMARK to_timestamp(s) AS ts
 * DELAY OF …`): projected onto the relation read, as Spark's analyzer does (`Project(expr AS ts,
 * <the relation's columns>)` below the watermark), so that everything above — the watermark,
 * windows, late rows, state — sees an ordinary event-time column. The projection is DuckDB SQL
 * around the read's own SQL: no row leaves DuckDB.
 */
import { SluiceError } from '../../errors/index.ts';
import type { QueryInput } from '../../model/index.ts';
import { type DuckDBConnection, queryRows, sqlIdent, sqlString } from '../../util/index.ts';

/** DuckDB's type of Spark's TIMESTAMP (an instant), the only event-time type Spark accepts here. */
const TIMESTAMP = 'TIMESTAMP WITH TIME ZONE';

/**
 * The relation `input` reads once its computed event time is projected onto `sql` (the read's
 * relation): `SELECT <expr> AS <name>, * FROM (<sql>) AS <read name>` — the event time first, then
 * the relation's columns, in Spark's order. `sql` unchanged for a read without one. The relation
 * keeps the name the dataset read has, so `raw.col` in the expression resolves as in Spark.
 */
export function withEventTime(input: QueryInput | undefined, sql: string): string {
  const expression = input?.watermark?.expression;
  if (!input?.watermark) return sql;
  if (!expression) return withTimestampCheck(input.watermark.column, sql);
  const alias = input.kind === 'dataset' ? (input.name.split('.').at(-1) ?? 'r') : '__sluice_read';
  return `SELECT ${expression.sql} AS ${sqlIdent(input.watermark.column)}, * FROM (${sql}\n) AS ${sqlIdent(alias)}`;
}

/**
 * `sql` refusing, when its first row is read, a watermark on a column that is not a TIMESTAMP
 * (or a window struct), as Spark's analysis does: DuckDB folds the `typeof` test when it binds
 * the query, so a TIMESTAMP column costs nothing (the filter is removed) and any other type
 * fails with EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE. A missing column fails to bind
 * (UNRESOLVED_COLUMN). `sluice validate` reports both before anything runs (checkWatermarkColumn).
 */
function withTimestampCheck(column: string, sql: string): string {
  const ref = `__sluice_wm.${sqlIdent(column)}`;
  const message = `[EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE] the watermark's event-time column '${column}' is not a TIMESTAMP (Spark: EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE); compute one, e.g. WATERMARK to_timestamp(${column}) AS event_time DELAY OF …`;
  return `SELECT * FROM (${sql}\n) AS __sluice_wm WHERE CASE WHEN typeof(${ref}) = ${sqlString(TIMESTAMP)} OR typeof(${ref}) LIKE 'STRUCT(%' THEN true ELSE error(${sqlString(message)}) END`;
}

/**
 * Spark's check of a watermark on a column of the relation (CheckAnalysis): the column exists and
 * is a TIMESTAMP, or a window struct (whose `end` is one; left to the stateful checks). Binds only.
 * @throws SluiceError UNRESOLVED_COLUMN, EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE
 */
async function checkWatermarkColumn(conn: DuckDBConnection, input: QueryInput, sql: string): Promise<void> {
  const watermark = input.watermark;
  if (!watermark) return;
  const location = input.location ? { location: input.location } : {};
  const name = watermark.column;
  const columns = await queryRows<{ column_name: string; column_type: string }>(conn, `DESCRIBE ${sql}`);
  const column = columns.find((c) => c.column_name.toLowerCase() === name.toLowerCase());
  if (!column) {
    throw new SluiceError(
      'UNRESOLVED_COLUMN',
      `the watermark's event-time column '${name}' is not a column of the stream (its columns: ${columns.map((c) => c.column_name).join(', ')})`,
      { params: { column: name }, ...location },
    );
  }
  const type = column.column_type;
  if (type !== TIMESTAMP && !type.startsWith('STRUCT(')) {
    const spark = type === 'TIMESTAMP' ? 'TIMESTAMP_NTZ' : type === 'VARCHAR' ? 'STRING' : type;
    throw new SluiceError(
      'EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE',
      `the watermark's event-time column '${name}' is of type ${spark}, but a watermark needs a TIMESTAMP (Spark: EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE); compute one, e.g. WATERMARK to_timestamp(${name}) AS event_time DELAY OF …`,
      { params: { column: name, type: spark }, ...location },
    );
  }
}

/**
 * Checks, on a connection, that the computed event time of `input` projected by
 * {@link withEventTime} onto `sql` is a TIMESTAMP and does not share its name with a column of
 * the relation (the read would have two columns of that name; Spark reports the reference as
 * ambiguous). With `columnToo`, a watermark on a column of the relation is checked as Spark does
 * too (see `checkWatermarkColumn`). Binds only (DESCRIBE); nothing is read.
 * @throws SluiceError EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE, WATERMARK_EVENT_TIME_CONFLICT,
 *   UNRESOLVED_COLUMN
 */
export async function checkEventTime(
  conn: DuckDBConnection,
  input: QueryInput | undefined,
  sql: string,
  columnToo = false,
): Promise<void> {
  const watermark = input?.watermark;
  if (input && watermark && !watermark.expression && columnToo) return checkWatermarkColumn(conn, input, sql);
  if (!input || !watermark?.expression) return;
  const at = watermark.expression.location ?? input.location;
  const location = at ? { location: at } : {};
  const name = watermark.column;
  const [time, ...columns] = await queryRows<{ column_name: string; column_type: string }>(
    conn,
    `DESCRIBE ${withEventTime(input, sql)}`,
  );
  if (columns.some((c) => c.column_name.toLowerCase() === name.toLowerCase())) {
    throw new SluiceError(
      'WATERMARK_EVENT_TIME_CONFLICT',
      `the computed event time '${name}' (WATERMARK … AS ${name}) is named like a column the stream already has; name it otherwise, or watermark the column itself (WATERMARK ${name} DELAY OF …)`,
      { params: { column: name }, ...location },
    );
  }
  const type = time?.column_type ?? '';
  if (type !== TIMESTAMP) {
    const spark = type === 'TIMESTAMP' ? 'TIMESTAMP_NTZ' : type;
    throw new SluiceError(
      'EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE',
      `the computed event time '${name}' is of type ${spark}, but a watermark needs a TIMESTAMP (Spark: EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE); convert it, e.g. with to_timestamp(…)`,
      { params: { column: name, type: spark }, ...location },
    );
  }
}
