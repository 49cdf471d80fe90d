/**
 * A computed event time (`FROM STREAM(x) WATERMARK to_timestamp(s) AS ts DELAY OF …`): what
 * Databricks' WATERMARK clause accepts — "a reference to the existing column, or a deterministic
 * transformation against existing column(s)" — and why another expression is refused. Its type
 * (TIMESTAMP) is checked where the stream's columns are known (engine/sources/event-time.ts).
 */
import type { ErrorCode } from '../errors/index.ts';
import { type AstNode, contains, str } from './ast.ts';
import { AGGREGATES } from './stateful.ts';
import { CLOCK_FUNCTIONS, VOLATILE_FUNCTIONS } from './volatility.ts';

/**
 * Spark functions whose value is not a function of their arguments: Spark's nondeterministic
 * expressions (`rand`, `uuid`, `shuffle`, `input_file_name`, …) and the clock, whose value
 * differs per micro-batch (`current_timestamp()`, `now()`, `unix_timestamp()` without arguments).
 */
const SPARK_NONDETERMINISTIC = new Set([
  'rand',
  'randn',
  'random',
  'uniform',
  'randstr',
  'uuid',
  'shuffle',
  'monotonically_increasing_id',
  'spark_partition_id',
  'input_file_name',
  'input_file_block_start',
  'input_file_block_length',
  'current_timestamp',
  'current_date',
  'curdate',
  'now',
  'localtimestamp',
  'current_time',
]);

/** Clock keywords written without parentheses, which DuckDB's parser reads as column names. */
const CLOCK_KEYWORDS = new Set([
  'current_timestamp',
  'current_date',
  'current_time',
  'localtimestamp',
  'localtime',
]);

/** Why a computed event time is refused, and the node to point at. */
export interface EventTimeRefusal {
  readonly code: Extract<ErrorCode, 'WATERMARK_EVENT_TIME_NOT_DETERMINISTIC'>;
  readonly message: string;
  readonly at: AstNode;
}

function functionName(n: AstNode): string {
  return n.class === 'FUNCTION' ? str(n, 'function_name').toLowerCase() : '';
}

function columnNames(n: AstNode): string[] {
  return n.class === 'COLUMN_REF' && Array.isArray(n.column_names) ? n.column_names.map(String) : [];
}

/**
 * Why the computed event time `written` (as written, Spark's function names) and `translated`
 * (its DuckDB translation) cannot be a watermark's event time, or undefined when it can: it must
 * be deterministic (no random, clock or per-file function), a transformation of the stream's own
 * columns (at least one column, no subquery, no aggregate or window function).
 */
export function eventTimeRefusal(written: AstNode, translated: AstNode): EventTimeRefusal | undefined {
  const refuse = (message: string, at: AstNode = written): EventTimeRefusal => ({
    code: 'WATERMARK_EVENT_TIME_NOT_DETERMINISTIC',
    message,
    at,
  });
  let found: EventTimeRefusal | undefined;
  const volatile = new Set([...VOLATILE_FUNCTIONS, ...CLOCK_FUNCTIONS]);
  contains(written, (n) => {
    const name = functionName(n);
    const children = Array.isArray(n.children) ? n.children : [];
    const clock = name === 'unix_timestamp' && children.length === 0;
    if (SPARK_NONDETERMINISTIC.has(name) || clock) {
      found = refuse(
        `a computed event time must be deterministic: ${name}() gives another value when the stream is read again (Databricks: a deterministic transformation against existing columns)`,
        n,
      );
    } else if (columnNames(n).length === 1 && CLOCK_KEYWORDS.has(columnNames(n)[0]!.toLowerCase())) {
      found = refuse(
        `a computed event time must be deterministic: ${columnNames(n)[0]} is the time of the micro-batch, not of the event`,
        n,
      );
    } else if (n.class === 'SUBQUERY') {
      found = refuse('a computed event time is a transformation of the stream’s own columns: no subquery', n);
    } else if (n.class === 'WINDOW') {
      found = refuse('a computed event time is computed per row: no window function', n);
    } else if (columnNames(n).some((c) => c.toLowerCase() === '_metadata')) {
      found = refuse(
        'a computed event time is a transformation of the stream’s own columns, not of its files’ _metadata',
        n,
      );
    }
    return found !== undefined;
  });
  if (found) return found;
  contains(translated, (n) => {
    const name = functionName(n);
    if (volatile.has(name)) {
      found = refuse(
        `a computed event time must be deterministic: it calls ${name}() (Databricks: a deterministic transformation against existing columns)`,
      );
    } else if (AGGREGATES.has(name)) {
      found = refuse(`a computed event time is computed per row: ${name}() aggregates rows`);
    }
    return found !== undefined;
  });
  if (found) return found;
  const readsColumn = contains(
    written,
    (n) => columnNames(n).length > 0 && !CLOCK_KEYWORDS.has(columnNames(n)[0]!.toLowerCase()),
  );
  if (!readsColumn) {
    return refuse(
      'a computed event time is a transformation of the stream’s columns (Databricks: a reference to an existing column or a deterministic transformation against existing columns); this one reads none',
    );
  }
  return undefined;
}
