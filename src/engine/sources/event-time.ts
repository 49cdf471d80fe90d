/**
 * A watermarked read's computed event time (`FROM STREAM(x) WATERMARK to_timestamp(s) AS ts
 * DELAY OF …`): projected onto the relation read, as Spark's analyzer does (`Project(expr AS ts,
 * <the relation's columns>)` below the watermark), so that everything above — the watermark,
 * windows, late rows, state — sees an ordinary event-time column. The projection is DuckDB SQL
 * around the read's own SQL: no row leaves DuckDB.
 */
import { SluiceError } from '../../errors/index.ts';
import type { QueryInput } from '../../model/index.ts';
import { type DuckDBConnection, queryRows, sqlIdent } from '../../util/index.ts';

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
  if (!input?.watermark || !expression) return sql;
  const alias = input.kind === 'dataset' ? (input.name.split('.').at(-1) ?? 'r') : '__sluice_read';
  return `SELECT ${expression.sql} AS ${sqlIdent(input.watermark.column)}, * FROM (${sql}\n) AS ${sqlIdent(alias)}`;
}

/**
 * Checks, on a connection, that the computed event time of `input` projected by
 * {@link withEventTime} onto `sql` is a TIMESTAMP and does not share its name with a column of
 * the relation (the read would have two columns of that name; Spark reports the reference as
 * ambiguous). Binds only (DESCRIBE); nothing is read.
 * @throws SluiceError EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE, WATERMARK_EVENT_TIME_CONFLICT
 */
export async function checkEventTime(
  conn: DuckDBConnection,
  input: QueryInput | undefined,
  sql: string,
): Promise<void> {
  const watermark = input?.watermark;
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
