/**
 * The column names a Delta table accepts, checked on a query's bound output before anything is
 * written (writing/batch-writer.ts, prepare-table.ts) and when validate binds the query
 * (validation/query-binding.ts):
 * Delta refuses to save data with two columns of one name, compared without regard to case
 * (DELTA_DUPLICATE_COLUMNS_FOUND), and, without column mapping — which sluice does not write — a
 * column or nested struct field name, at any depth, holding one of ` ,;{}()\n\t=`
 * (DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES).
 *
 * DuckDB names a subquery's (or CTE's) duplicate columns apart (`a`, `a_1`) where Spark keeps
 * both `a`: when the names the query's inputs and text can produce are known (validate; a run's
 * write of a flow's bound query), a name `<x>_<n>` after an `<x>` that none of them produces is
 * taken as such a renamed duplicate. A real column named `a_1` (an input's, or an alias) is never
 * refused.
 */
import { SluiceError } from '../../errors/index.ts';
import type { BoundQuery, FlowPlan } from '../../graph/index.ts';
import type { Dataset, DataType } from '../../model/index.ts';
import { duckDBTypeToDelta } from '../../storage/index.ts';
import { type DuckDBConnection, queryRows } from '../../util/index.ts';

/** Output columns of a query, as DuckDB names and types. */
type Columns = readonly { readonly name: string; readonly type: string }[];

/** Characters Delta refuses in a column name without column mapping. */
const INVALID_CHARS = /[ ,;{}()\n\t=]/;
const INVALID_CHARS_TEXT = "' ,;{}()\\n\\t='";

/** A name DuckDB may have given a duplicate column of a subquery: its base and a counter. */
const RENAMED = /^(.+)_\d+$/;

/**
 * Why `dataset`'s table cannot be written with `columns` (their names), or undefined. `known`,
 * when given, holds (lower case) every name the query's inputs and text can produce: an output
 * name outside it that looks like DuckDB's renaming of a duplicate is one (see above).
 */
export function columnNamesRefusal(
  dataset: Dataset,
  columns: Columns,
  known?: ReadonlySet<string>,
): SluiceError | undefined {
  const seen = new Map<string, string>();
  for (const c of columns) {
    const key = c.name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) return duplicate(dataset, first, c.name);
    const renamed = RENAMED.exec(c.name);
    if (known && renamed && seen.has(renamed[1]!.toLowerCase()) && !known.has(key))
      return duplicate(dataset, seen.get(renamed[1]!.toLowerCase())!, renamed[1]!);
    seen.set(key, c.name);
  }
  for (const c of columns) {
    const bad = invalidName(c.name, deltaType(c.type));
    if (bad !== undefined) return invalid(dataset, bad);
  }
  return undefined;
}

/**
 * Refuses (throws) the write of `sql`'s rows into `dataset`'s table when its output columns, as
 * the query's own SELECT names them (DESCRIBE of the query itself: a wrapping `SELECT * FROM`
 * or a materialized batch would name a duplicate apart), are names Delta refuses. `inputs`, when
 * known, are the SQL of the relations the query reads: the names they produce, and the words of
 * `sql` and of the flow's compiled queries, tell a real `a_1` from a subquery's duplicate `a`
 * that DuckDB named apart (read only when the output has such a name); without them only exact
 * duplicates are refused (a stateful flow's output, over its state). Returns the columns: with no
 * duplicate, the ones a wrapped DESCRIBE (commit-rows.ts) would give.
 * @throws SluiceError DELTA_DUPLICATE_COLUMNS_FOUND, DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES
 */
export async function assertColumnNames(
  conn: DuckDBConnection,
  flow: FlowPlan,
  sql: string,
  inputs: readonly string[] | undefined,
): Promise<Columns> {
  const columns = await describe(conn, sql);
  const known =
    inputs && mayBeRenamed(columns)
      ? await knownNames(conn, [sql, ...queryTexts(flow.bound)], inputs)
      : undefined;
  const refusal = columnNamesRefusal(flow.target, columns, known);
  if (refusal) throw refusal;
  return columns;
}

/** The compiled SQL of a flow's query and of the views inlined in it (their aliases are names too). */
export function queryTexts(b: BoundQuery): string[] {
  return [b.query.sql, ...b.children.flatMap((c) => (c.kind === 'view' ? queryTexts(c.bound) : []))];
}

/** Whether some output name looks like DuckDB's renaming of a duplicate (`a_1` after `a`). */
export function mayBeRenamed(columns: Columns): boolean {
  const seen = new Set<string>();
  for (const c of columns) {
    const renamed = RENAMED.exec(c.name);
    if (renamed && seen.has(renamed[1]!.toLowerCase())) return true;
    seen.add(c.name.toLowerCase());
  }
  return false;
}

/**
 * The names (lower case) a query can produce without DuckDB renaming a duplicate: the columns
 * and nested fields of the relations it reads (`inputs`, their SQL) and every word and quoted
 * identifier of its SQL text (`texts`: its aliases).
 */
export async function knownNames(
  conn: DuckDBConnection,
  texts: readonly string[],
  inputs: readonly string[],
): Promise<Set<string>> {
  const known = new Set<string>();
  for (const sql of inputs) {
    for (const c of await describe(conn, sql)) {
      known.add(c.name.toLowerCase());
      addIdentifiers(known, c.type); // a struct's field names
    }
  }
  for (const text of texts) addIdentifiers(known, text);
  return known;
}

/** Adds the words and quoted identifiers of DuckDB SQL (or a type's text) to `known`, lower case. */
function addIdentifiers(known: Set<string>, text: string): void {
  for (const m of text.matchAll(/"((?:[^"]|"")+)"|\b([A-Za-z_][A-Za-z0-9_]*)\b/g))
    known.add((m[1]?.replaceAll('""', '"') ?? m[2]!).toLowerCase());
}

async function describe(conn: DuckDBConnection, sql: string): Promise<Columns> {
  const rows = await queryRows<{ column_name: string; column_type: string }>(conn, `DESCRIBE ${sql}`);
  return rows.map((r) => ({ name: r.column_name, type: r.column_type }));
}

/** The first name (a dotted path for a nested field) Delta refuses, of a column and its fields. */
function invalidName(name: string, type: DataType | undefined): string | undefined {
  if (INVALID_CHARS.test(name)) return name;
  if (type === undefined || typeof type === 'string') return undefined;
  switch (type.type) {
    case 'struct':
      for (const f of type.fields) {
        const bad = invalidName(f.name, f.type);
        if (bad !== undefined) return `${name}.${bad}`;
      }
      return undefined;
    case 'array':
      return prefixed(name, invalidName('element', type.elementType));
    case 'map':
      return prefixed(name, invalidName('key', type.keyType) ?? invalidName('value', type.valueType));
    default: {
      const never: never = type;
      return never;
    }
  }
}

function prefixed(name: string, inner: string | undefined): string | undefined {
  return inner === undefined ? undefined : `${name}.${inner}`;
}

/** A DuckDB type as Delta's, undefined when it has none (nothing nested to check then). */
function deltaType(duckdb: string): DataType | undefined {
  try {
    return duckDBTypeToDelta(duckdb);
  } catch {
    return undefined;
  }
}

function duplicate(dataset: Dataset, first: string, second: string): SluiceError {
  const columns = first === second ? first : `${first}, ${second}`;
  return new SluiceError(
    'DELTA_DUPLICATE_COLUMNS_FOUND',
    `found duplicate column(s) in the data to save in '${dataset.name}': ${columns} (Delta compares column names without regard to case); select the column once or rename one with an alias`,
    { dataset: dataset.name, params: { columns } },
  );
}

function invalid(dataset: Dataset, column: string): SluiceError {
  return new SluiceError(
    'DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES',
    `the column \`${column}\` of '${dataset.name}' has a character Delta refuses in column names without column mapping, which sluice does not write (one of ${INVALID_CHARS_TEXT}); rename it with an alias (a nested field: build the struct again with new field names)`,
    { dataset: dataset.name, params: { column } },
  );
}
