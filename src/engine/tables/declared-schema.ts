/**
 * A streaming table's declared columns (`CREATE STREAMING TABLE t (id INT, name STRING) …`, a
 * TypeScript `schema`) against what one of its flows writes, by Spark Declarative Pipelines' rule
 * (GraphValidations.validateUserSpecifiedSchemas): the flows' columns merged into the declared
 * schema must give the declared schema back. So, with names matched without regard to case:
 *
 * - every column a flow writes is declared (a column the list lacks would be added by the merge);
 * - its type merges into the declared type unchanged: the same type, a decimal of the same scale
 *   and no more precision, arrays / maps / structs alike throughout (nested struct fields by
 *   exact name and in the declared order — Spark's nested merge is case-sensitive, and sluice
 *   does not reorder or fill struct fields on write);
 * - a declared column a flow does not write stays, NULL in that flow's rows — unless it is NOT
 *   NULL (Delta refuses the write), or has no type (the table could not be created with it).
 *
 * The table's columns are the declared ones in declared order, names as declared (see
 * prepare-table.ts). Declared nullability is not compared with the flow's: DuckDB does not tell
 * a query column's nullability, so a NOT NULL column is enforced on the rows written instead.
 *
 * A materialized view's declared types follow the same rule (Spark validates every table's
 * declared schema alike); its names and order follow sluice's stricter `declaredColumnsMismatch`.
 */
import { SluiceError } from '../../errors/index.ts';
import { type Dataset, type DataType, isStored } from '../../model/index.ts';
import { parseSparkType } from '../../sql/index.ts';
import { deltaTypeToDuckDB, duckDBTypeToDelta } from '../../storage/index.ts';
import { sqlIdent } from '../../util/index.ts';

/** Output columns of a query, as DuckDB names and types. */
type WrittenColumns = readonly { readonly name: string; readonly type: string }[];

/** Whether `written` merges into `declared` giving `declared` back (Spark's StructType.merge). */
export function mergesInto(declared: DataType, written: DataType): boolean {
  if (typeof declared === 'string' || typeof written === 'string') {
    if (declared === written) return true;
    const d = typeof declared === 'string' ? /^decimal\((\d+),(\d+)\)$/.exec(declared) : null;
    const w = typeof written === 'string' ? /^decimal\((\d+),(\d+)\)$/.exec(written) : null;
    return d !== null && w !== null && d[2] === w[2] && Number(d[1]) >= Number(w[1]);
  }
  switch (declared.type) {
    case 'array':
      return (
        written.type === 'array' &&
        mergesInto(declared.elementType, written.elementType) &&
        (declared.containsNull || !written.containsNull)
      );
    case 'map':
      return (
        written.type === 'map' &&
        mergesInto(declared.keyType, written.keyType) &&
        mergesInto(declared.valueType, written.valueType) &&
        (declared.valueContainsNull || !written.valueContainsNull)
      );
    case 'struct':
      return (
        written.type === 'struct' &&
        written.fields.length === declared.fields.length &&
        declared.fields.every((d, i) => {
          const w = written.fields[i]!;
          return w.name === d.name && mergesInto(d.type, w.type) && (d.nullable || !w.nullable);
        })
      );
    default: {
      const never: never = declared;
      return never;
    }
  }
}

/** Why a written column does not fit the declaration, or undefined when it does. */
type Misfit =
  | { readonly reason: 'undeclared'; readonly column: string }
  | { readonly reason: 'type'; readonly column: string; readonly declared: string; readonly written: string }
  | { readonly reason: 'not_null_missing'; readonly column: string }
  | { readonly reason: 'untyped_missing'; readonly column: string };

function misfit(dataset: Dataset, columns: WrittenColumns): Misfit | undefined {
  const declared = dataset.columns ?? [];
  const byName = new Map(declared.map((d) => [d.name.toLowerCase(), d]));
  // A materialized view's names and order are its own rule's (`declaredColumnsMismatch`): only
  // the types of the columns it names are compared here.
  const typesOnly = dataset.kind === 'materialized_view';
  for (const c of columns) {
    const d = byName.get(c.name.toLowerCase());
    if (d === undefined) {
      if (typesOnly) continue;
      return { reason: 'undeclared', column: c.name };
    }
    if (d.type === undefined) continue;
    const written = duckDBTypeToDelta(c.type);
    if (!mergesInto(parseSparkType(d.type), written))
      return { reason: 'type', column: d.name, declared: d.type, written: sparkTypeText(written) };
  }
  if (typesOnly) return undefined;
  const wrote = new Set(columns.map((c) => c.name.toLowerCase()));
  for (const d of declared) {
    if (wrote.has(d.name.toLowerCase())) continue;
    if (!d.nullable) return { reason: 'not_null_missing', column: d.name };
    if (d.type === undefined) return { reason: 'untyped_missing', column: d.name };
  }
  return undefined;
}

/**
 * The refusal of a flow writing `columns` into a streaming table that declares its columns
 * (see the module comment): USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE, naming the
 * dataset, the flow and the column; undefined when they fit, or when the dataset declares no
 * columns. A materialized view's declared types are held to the same rule (Spark checks every
 * table alike; a cast to the declared type could round or truncate), its names and order to
 * `declaredColumnsMismatch`. The error carries no location: the flow's (`flowFailure`) is where
 * its columns are written.
 */
export function declaredSchemaMismatch(
  dataset: Dataset,
  flow: string,
  columns: WrittenColumns,
): SluiceError | undefined {
  if (!isStored(dataset) || (dataset.columns ?? []).length === 0) return undefined;
  const m = misfit(dataset, columns);
  if (m === undefined) return undefined;
  const declared = (dataset.columns ?? []).map((d) => (d.type ? `${d.name} ${d.type}` : d.name)).join(', ');
  const of = flow === dataset.name ? `the query of '${dataset.name}'` : `flow '${flow}'`;
  const why = ((): string => {
    switch (m.reason) {
      case 'undeclared':
        return `${of} writes column '${m.column}', which '${dataset.name}' does not declare; declare it, or leave it out of what the flow writes`;
      case 'type':
        return `${of} writes column '${m.column}' as ${m.written}, but '${dataset.name}' declares it ${m.declared}; cast it in the query (\`CAST(… AS ${m.declared}) AS ${m.column}\`) or declare the type the query gives`;
      case 'not_null_missing':
        return `${of} does not write column '${m.column}', which '${dataset.name}' declares NOT NULL`;
      case 'untyped_missing':
        return `${of} does not write column '${m.column}', which '${dataset.name}' declares without a type; give it a type`;
      default: {
        const never: never = m;
        return never;
      }
    }
  })();
  return new SluiceError(
    'USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE',
    `${why} (declared: ${declared}; written: ${columns.map((c) => c.name).join(', ')})`,
    {
      dataset: dataset.name,
      params: {
        flow,
        column: m.column,
        reason: m.reason,
        declared,
        written: columns.map((c) => c.name).join(', '),
      },
    },
  );
}

/** A type as Spark DDL names it (`BIGINT`, `DECIMAL(10,2)`, `ARRAY<STRING>`), for messages. */
export function sparkTypeText(t: DataType): string {
  if (typeof t === 'string') {
    const names: Record<string, string> = {
      long: 'BIGINT',
      integer: 'INT',
      short: 'SMALLINT',
      byte: 'TINYINT',
    };
    return names[t] ?? t.toUpperCase();
  }
  switch (t.type) {
    case 'array':
      return `ARRAY<${sparkTypeText(t.elementType)}>`;
    case 'map':
      return `MAP<${sparkTypeText(t.keyType)}, ${sparkTypeText(t.valueType)}>`;
    case 'struct':
      return `STRUCT<${t.fields.map((f) => `${f.name}: ${sparkTypeText(f.type)}`).join(', ')}>`;
    default: {
      const never: never = t;
      return never;
    }
  }
}

/** A column of a table whose columns are declared: as declared, typed by the flow when untyped. */
export interface DeclaredField {
  readonly name: string;
  readonly type: DataType;
  readonly nullable: boolean;
  readonly comment?: string;
}

/**
 * The columns of a streaming table that declares its columns, once a flow wrote `columns` to
 * it (which fit, see `declaredSchemaMismatch`): every declared column in declared order, names
 * as declared; undefined when the dataset is not such a table. A declared column without a type
 * takes the type the flow writes (one it does not write was refused).
 */
export function declaredFields(dataset: Dataset, columns: WrittenColumns): DeclaredField[] | undefined {
  if (dataset.kind !== 'streaming_table' || (dataset.columns ?? []).length === 0) return undefined;
  return (dataset.columns ?? []).flatMap((d) => {
    const c = columns.find((x) => x.name.toLowerCase() === d.name.toLowerCase());
    const type = d.type !== undefined ? parseSparkType(d.type) : c ? duckDBTypeToDelta(c.type) : undefined;
    if (type === undefined) return [];
    return [
      {
        name: d.name,
        type,
        nullable: d.nullable,
        ...(d.comment !== undefined ? { comment: d.comment } : {}),
      },
    ];
  });
}

/**
 * `relation` (a table name or a parenthesized query) with, appended, a NULL of the declared type
 * for each column the dataset declares that is not among `written` (names without regard to
 * case): what a row-level change of a table with declared columns upserts, since it writes every
 * column of the table. The relation itself when there are none.
 */
export function withUnwrittenDeclared(
  relation: string,
  dataset: Dataset,
  written: readonly string[],
): string {
  const wrote = new Set(written.map((w) => w.toLowerCase()));
  const missing = (declaredFields(dataset, []) ?? []).filter((d) => !wrote.has(d.name.toLowerCase()));
  if (missing.length === 0) return relation;
  const nulls = missing.map((d) => `CAST(NULL AS ${deltaTypeToDuckDB(d.type)}) AS ${sqlIdent(d.name)}`);
  return `(SELECT *, ${nulls.join(', ')} FROM ${relation})`;
}
