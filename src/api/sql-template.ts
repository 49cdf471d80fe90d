import { SluiceError } from '../errors/index.ts';
import type { FileFormat } from '../model/index.ts';
import { substituteValues } from '../sql/index.ts';

/**
 * What may be interpolated into a `sql` template. Plain strings and numbers are deliberately
 * NOT accepted: `${userName}` would splice arbitrary text into SQL (injection-prone, and it
 * would hide dependencies). Use `lit(v)` for a literal value, `ident(n)` for an identifier,
 * `read(n)`/`stream(n)`/`readFiles(p)` for inputs, `conf(k)` for a configuration value, or
 * `raw(text)` when you really mean verbatim SQL.
 */
export type SqlFragment =
  | SqlQuery
  | DatasetRef
  | FilesRef
  | LiteralFragment
  | IdentFragment
  | RawFragment
  | ConfFragment;

export interface SqlQuery {
  readonly kind: 'sql';
  readonly strings: readonly string[];
  readonly values: readonly SqlFragment[];
}
export interface DatasetRef {
  readonly kind: 'dataset_ref';
  readonly name: string;
  readonly streaming: boolean;
  /** An event-time watermark on a streaming read (see {@link withWatermark}). */
  readonly watermark?: WatermarkSpec;
  /** Reader options of a streaming read (see {@link StreamOptions}), values as strings. */
  readonly options?: Readonly<Record<string, string>>;
}

/**
 * Options of a streaming read of a dataset, as PySpark's `spark.readStream.option(k, v).table(x)`:
 * - `readChangeFeed`: read the table's change data feed (the table needs
 *   `delta.enableChangeDataFeed = true`): its rows with `_change_type`, `_commit_version` and
 *   `_commit_timestamp`;
 * - `startingVersion`: with `readChangeFeed`, the first version whose changes are read (a
 *   non-negative integer, or `'latest'`); without it the first batch is the table as of the
 *   stream's start, as inserts;
 * - `skipChangeCommits`: a plain streaming read skips commits that update or delete rows.
 */
export interface StreamOptions {
  readonly readChangeFeed?: boolean;
  readonly startingVersion?: number | 'latest';
  readonly skipChangeCommits?: boolean;
}
export interface FilesRef {
  readonly kind: 'files_ref';
  readonly path: string;
  readonly format: FileFormat;
  readonly options: Readonly<Record<string, string>>;
  readonly streaming: boolean;
  readonly watermark?: WatermarkSpec;
}
/** `withWatermark(column, delay)`: the event-time column and the delay as an interval string ('10 seconds'). */
export interface WatermarkSpec {
  readonly column: string;
  readonly delay: string;
}
export interface LiteralFragment {
  readonly kind: 'literal';
  readonly value: string | number | boolean | bigint | null | Date;
}
export interface IdentFragment {
  readonly kind: 'ident';
  readonly name: string;
}
export interface RawFragment {
  readonly kind: 'raw';
  readonly text: string;
}
export interface ConfFragment {
  readonly kind: 'conf';
  readonly key: string;
}

const FRAGMENT_KINDS = new Set(['sql', 'dataset_ref', 'files_ref', 'literal', 'ident', 'raw', 'conf']);

function invalid(message: string): SluiceError {
  return new SluiceError('TS_INVALID_DEFINITION', message);
}

function isFragment(v: unknown): v is SqlFragment {
  return typeof v === 'object' && v !== null && FRAGMENT_KINDS.has((v as { kind?: unknown }).kind as string);
}

/**
 * Tagged template for a query body in Spark SQL: `` sql`SELECT * FROM ${stream('bronze')}` ``.
 * Every interpolated value must be a fragment (see {@link SqlFragment}); anything else throws
 * TS_INVALID_DEFINITION at the call, so mistakes surface when the pipeline file is loaded.
 */
export function sql(strings: TemplateStringsArray, ...values: readonly SqlFragment[]): SqlQuery {
  values.forEach((v, i) => {
    if (!isFragment(v)) {
      const shown = typeof v === 'string' ? `'${v}'` : String(v);
      throw invalid(
        `sql\`…\`: value #${i + 1} (${typeof v} ${shown}) cannot be interpolated; ` +
          'wrap it in lit(…) for a literal, ident(…) for an identifier, read(…)/stream(…) for a dataset, or raw(…) for verbatim SQL',
      );
    }
  });
  return Object.freeze({
    kind: 'sql',
    strings: Object.freeze([...strings]),
    values: Object.freeze([...values]),
  });
}

/** A batch read of a dataset defined in the pipeline (`FROM name`). */
export function read(name: string): DatasetRef {
  if (typeof name !== 'string' || name === '') throw invalid('read(name): name must be a non-empty string');
  return Object.freeze({ kind: 'dataset_ref', name, streaming: false });
}

/**
 * A streaming read: `stream('x')` renders `STREAM(x)`; `stream(readFiles(…))` renders `STREAM
 * read_files(…)`. `stream('x', { readChangeFeed: true })` reads x's change data feed (PySpark's
 * `spark.readStream.option("readChangeFeed", "true").table("x")`) and renders
 * `STREAM(x) WITH ('readChangeFeed' = 'true')`; see {@link StreamOptions}.
 */
export function stream(source: string, options?: StreamOptions): DatasetRef;
export function stream(source: FilesRef): FilesRef;
export function stream(source: string | FilesRef, options?: StreamOptions): DatasetRef | FilesRef {
  if (typeof source === 'string') {
    if (source === '') throw invalid('stream(name): name must be a non-empty string');
    const opts = streamOptions(source, options);
    return Object.freeze({
      kind: 'dataset_ref',
      name: source,
      streaming: true,
      ...(opts ? { options: opts } : {}),
    });
  }
  if (isFragment(source) && source.kind === 'files_ref') return Object.freeze({ ...source, streaming: true });
  throw invalid('stream(source): source must be a dataset name or readFiles(…)');
}

/** The options of `stream(name, options)` as strings, checked for their types. */
function streamOptions(
  name: string,
  options: StreamOptions | undefined,
): Readonly<Record<string, string>> | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null)
    throw invalid(`stream('${name}', options): options must be an object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    const ok =
      k === 'startingVersion'
        ? v === 'latest' || (Number.isInteger(v) && (v as number) >= 0)
        : typeof v === 'boolean';
    if (!ok || !['readChangeFeed', 'startingVersion', 'skipChangeCommits'].includes(k))
      throw invalid(
        `stream('${name}', options): option ${k} = ${JSON.stringify(v)} is not a known option with a valid value (readChangeFeed: boolean, startingVersion: integer ≥ 0 or 'latest', skipChangeCommits: boolean)`,
      );
    out[k] = String(v);
  }
  return Object.keys(out).length > 0 ? Object.freeze(out) : undefined;
}

/**
 * A streaming read with an event-time watermark, as PySpark's `df.withWatermark(col, delay)`:
 * `withWatermark(stream('events'), 'ts', '10 seconds')` renders
 * `STREAM(events) WATERMARK ts DELAY OF INTERVAL '10 seconds'`. The watermark is max(ts seen) −
 * delay; a windowed aggregation of the read keeps its groups until the watermark passes their end.
 */
export function withWatermark<R extends DatasetRef | FilesRef>(ref: R, column: string, delay: string): R {
  const read = ref as DatasetRef | FilesRef;
  if (!isFragment(read) || (read.kind !== 'dataset_ref' && read.kind !== 'files_ref') || !read.streaming)
    throw invalid('withWatermark(ref, column, delay): ref must be a streaming read (stream(…))');
  if (typeof column !== 'string' || column === '')
    throw invalid('withWatermark(ref, column, delay): column must be a non-empty string');
  if (typeof delay !== 'string' || !/^\s*(interval\s+)?[+-]?\d/i.test(delay))
    throw invalid(
      `withWatermark(ref, '${column}', delay): delay must be an interval string such as '10 seconds'`,
    );
  return Object.freeze({ ...read, watermark: Object.freeze({ column, delay }) }) as R;
}

/**
 * Spark's `df.dropDuplicatesWithinWatermark(columns)` over a streaming read with a watermark:
 * the first row of each key is kept, and rows of the same key are dropped until the watermark
 * reaches that row's event time + the watermark delay (then the key may be emitted again). The
 * query it returns is the flow's whole query: `SELECT * FROM <read> QUALIFY row_number() OVER
 * (PARTITION BY `c`, …) = 1`, which sluice runs as this de-duplication (Spark refuses that SQL on
 * a stream, so it is sluice's spelling only).
 * @throws SluiceError TS_INVALID_DEFINITION without a watermark (as Spark) or without columns
 */
export function dropDuplicatesWithinWatermark(
  ref: DatasetRef | FilesRef,
  columns: readonly string[],
): SqlQuery {
  const read = ref as DatasetRef | FilesRef;
  if (!isFragment(read) || (read.kind !== 'dataset_ref' && read.kind !== 'files_ref') || !read.watermark)
    throw invalid(
      'dropDuplicatesWithinWatermark(ref, columns): ref must be a streaming read with a watermark (withWatermark(stream(…), column, delay))',
    );
  if (
    !Array.isArray(columns) ||
    columns.length === 0 ||
    columns.some((c) => typeof c !== 'string' || c === '')
  )
    throw invalid(
      'dropDuplicatesWithinWatermark(ref, columns): columns must be a non-empty list of column names',
    );
  const keys = columns.map((c) => `\`${c.replace(/`/g, '``')}\``).join(', ');
  return sql`SELECT * FROM ${read} QUALIFY row_number() OVER (PARTITION BY ${raw(keys)}) = 1`;
}

/**
 * Spark's `df.dropDuplicates(columns?)` over a streaming read with a watermark. Without columns,
 * whole rows: `SELECT DISTINCT * FROM <read>` (a row seen is kept until the watermark passes its
 * event time). With columns, the first row of each key is kept whole; the key must include the
 * watermark's event-time column, so state leaves when the watermark passes it — then the output
 * is that of {@link dropDuplicatesWithinWatermark} over the same columns (a later duplicate of a
 * key holding an event time after the watermark always finds it in state), which is how it runs.
 * @throws SluiceError TS_INVALID_DEFINITION without a watermark, or with columns lacking its column
 */
export function dropDuplicates(ref: DatasetRef | FilesRef, columns?: readonly string[]): SqlQuery {
  const read = ref as DatasetRef | FilesRef;
  if (!isFragment(read) || (read.kind !== 'dataset_ref' && read.kind !== 'files_ref') || !read.watermark)
    throw invalid(
      'dropDuplicates(ref, columns): ref must be a streaming read with a watermark (withWatermark(stream(…), column, delay)); without one its state would grow forever',
    );
  if (columns === undefined) return sql`SELECT DISTINCT * FROM ${read}`;
  const time = read.watermark.column.toLowerCase();
  if (!Array.isArray(columns) || !columns.some((c) => typeof c === 'string' && c.toLowerCase() === time))
    throw invalid(
      `dropDuplicates(ref, columns): columns must include the watermark column '${read.watermark.column}' (else the keys seen would stay in state forever); or use dropDuplicatesWithinWatermark`,
    );
  return dropDuplicatesWithinWatermark(read, columns);
}

export interface ReadFilesOptions {
  /** XML sources are SQL-only (read_files / cloud_files with rowTag). */
  readonly format: Exclude<FileFormat, 'xml'>;
  /** Further reader options (`header`, `delimiter`, `schema`, `maxFilesPerTrigger`, …). */
  readonly [option: string]: string | number | boolean;
}

/** Files read by `read_files` (batch); wrap in `stream(…)` for incremental ingestion. Paths are relative to the spec folder. */
export function readFiles(path: string, options: ReadFilesOptions): FilesRef {
  if (typeof path !== 'string' || path === '')
    throw invalid('readFiles(path, options): path must be a non-empty string');
  const { format, ...rest } = options ?? ({} as ReadFilesOptions);
  if (format !== 'json' && format !== 'csv' && format !== 'parquet') {
    throw invalid(`readFiles('${path}'): format must be 'json', 'csv' or 'parquet'`);
  }
  const opts: Record<string, string> = {};
  for (const [k, v] of Object.entries(rest)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw invalid(`readFiles('${path}'): option name '${k}' is not an identifier`);
    opts[k] = String(v);
  }
  return Object.freeze({ kind: 'files_ref', path, format, options: Object.freeze(opts), streaming: false });
}

/** A SQL literal: strings are quoted and escaped, numbers/booleans/null rendered as such, Dates as TIMESTAMP. */
export function lit(value: string | number | boolean | bigint | null | Date): LiteralFragment {
  if (typeof value === 'number' && !Number.isFinite(value))
    throw invalid(`lit(${value}): not a finite number`);
  return Object.freeze({ kind: 'literal', value });
}

/** A quoted identifier (backticks, Spark style). */
export function ident(name: string): IdentFragment {
  return Object.freeze({ kind: 'ident', name });
}

/** Verbatim SQL text. Unsafe with untrusted input; dataset names written here are not declared inputs. */
export function raw(text: string): RawFragment {
  return Object.freeze({ kind: 'raw', text: String(text) });
}

/** The value of a pipeline configuration key, substituted as text (like `${key}` in SQL files). */
export function conf(key: string): ConfFragment {
  return Object.freeze({ kind: 'conf', key });
}

/** ` WATERMARK `col` DELAY OF INTERVAL '…'` for a read with a watermark, else ''. */
function watermarkClause(w: WatermarkSpec | undefined): string {
  if (!w) return '';
  return ` WATERMARK \`${w.column.replace(/`/g, '``')}\` DELAY OF INTERVAL ${quoteString(w.delay)}`;
}

/** ` WITH ('k' = 'v', …)` for a read with options, else ''. */
function optionsClause(options: Readonly<Record<string, string>> | undefined): string {
  if (!options) return '';
  const items = Object.entries(options).map(([k, v]) => `${quoteString(k)} = ${quoteString(v)}`);
  return ` WITH (${items.join(', ')})`;
}

function quoteString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A declared input found while rendering. */
export type DeclaredInput =
  | { readonly kind: 'dataset'; readonly name: string; readonly streaming: boolean }
  | { readonly kind: 'files'; readonly path: string; readonly streaming: boolean };

export interface RenderedQuery {
  readonly text: string;
  readonly inputs: readonly DeclaredInput[];
}

/**
 * Renders a query to Spark SQL text (`STREAM(x)`, `x`, `STREAM read_files('p', format => 'json')`)
 * and lists the inputs it declared, in order. Throws UNDEFINED_CONFIGURATION_KEY for `conf(k)`
 * with no value, UNSAFE_CONFIGURATION_VALUE for a value that would change the statement.
 */
export function renderSql(query: SqlQuery, configuration: Readonly<Record<string, string>>): RenderedQuery {
  const inputs: DeclaredInput[] = [];
  const renderFragment = (f: SqlFragment): string => {
    switch (f.kind) {
      case 'sql': {
        let s = f.strings[0] ?? '';
        f.values.forEach((v, i) => {
          s += renderFragment(v) + (f.strings[i + 1] ?? '');
        });
        return s;
      }
      case 'dataset_ref':
        inputs.push({ kind: 'dataset', name: f.name, streaming: f.streaming });
        return (
          (f.streaming ? `STREAM(${f.name})` : f.name) +
          optionsClause(f.options) +
          watermarkClause(f.watermark)
        );
      case 'files_ref': {
        inputs.push({ kind: 'files', path: f.path, streaming: f.streaming });
        const args = [quoteString(f.path), `format => ${quoteString(f.format)}`];
        for (const [k, v] of Object.entries(f.options)) args.push(`${k} => ${quoteString(v)}`);
        return `${f.streaming ? 'STREAM ' : ''}read_files(${args.join(', ')})${watermarkClause(f.watermark)}`;
      }
      case 'literal': {
        const v = f.value;
        if (v === null) return 'NULL';
        if (v instanceof Date) return `TIMESTAMP ${quoteString(v.toISOString())}`;
        if (typeof v === 'string') return quoteString(v);
        if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
        return String(v);
      }
      case 'ident':
        return `\`${f.name.replace(/`/g, '``')}\``;
      case 'raw':
        return f.text;
      case 'conf': {
        // Put in as a `${key}` reference first, so the value is checked against the statement
        // it lands in once the whole text is there (a value is data, never SQL).
        const value = configuration[f.key];
        if (value === undefined) {
          throw new SluiceError(
            'UNDEFINED_CONFIGURATION_KEY',
            `conf('${f.key}') names no configuration entry`,
            {
              params: { key: f.key },
            },
          );
        }
        return `\${${f.key}}`;
      }
      default: {
        const never: never = f;
        return never;
      }
    }
  };
  const text = substituteValues(renderFragment(query), configuration);
  return { text, inputs };
}
