/**
 * Spark's field access through arrays of structs, typed once the query's inputs are known.
 *
 * In Spark, `arr.f` (and `t.arr.f`) where `arr` is ARRAY<STRUCT<…, f, …>> is the array of the
 * elements' `f` (GetArrayStructFields): a NULL array gives NULL, a NULL element a NULL entry, and
 * further names read fields of that struct field (`arr.s.g`, `s` a struct: the array of `s.g`).
 * Applying a name to an array whose elements are not structs (an array of arrays) is not a field
 * access in Spark (it reads an array item and fails analysis), so sluice leaves it alone too.
 * DuckDB reads fields of structs only; the same access is `list_transform(arr, x -> x.f)`.
 *
 * Which one a dotted name means depends on the type of the column it starts with, which sluice
 * cannot know when it translates a query (its inputs' schemas are learned when a flow reads them).
 * This pass runs where the query is bound to its inputs: per SELECT that holds a dotted name not
 * led by one of its relations (in its expressions or its joins' conditions), it asks DuckDB for the types of the columns those names start
 * from (a probe `SELECT base… FROM <the same FROM>`, bound but never run), and rewrites exactly
 * the names that go through a list. Nothing is guessed: a name whose column type the probe cannot
 * tell (a probe that does not bind, e.g. an outer query's column) or whose path Spark would not
 * read as fields stays as written, and DuckDB refuses it as before (DATATYPE_MISMATCH).
 */
import { type DuckType, parseDuckType } from '../util/index.ts';
import { type AstNode, forEachSelect, isNode, type Json, nodes, statementJson, str } from './ast.ts';
import { columnRef, lambda } from './cast-ast.ts';
import type { SqlCodec } from './duckdb-codec.ts';
import { fn } from './functions/expr.ts';

/**
 * The column types (DuckDB type strings, in order) of a probe query written over the same
 * relations as the query being bound, or undefined when the probe does not bind.
 */
export type ProbeTypes = (probeSql: string) => Promise<readonly string[] | undefined>;

/** A dotted column reference that may read fields: `base` names a column, `fields` its path. */
interface FieldSite {
  readonly ref: AstNode;
  readonly base: readonly string[];
  readonly fields: readonly string[];
  /** The reference is a select-list item of its SELECT (its output column is named by it). */
  readonly selectItem: boolean;
}

/** A SELECT with its field sites and the CTEs visible to it from enclosing queries. */
interface SelectScope {
  readonly node: AstNode;
  readonly outerCtes: readonly AstNode[];
  readonly sites: readonly FieldSite[];
}

/**
 * `duckdbSql` (one SELECT, as the compiler writes it) with every field access through an array
 * of structs written as DuckDB reads it (the text itself when there is none), and whether the
 * query has dotted names that may read fields at all (a fact of its text alone: when it has none,
 * no input types can change it).
 */
export async function resolveFieldPaths(
  codec: SqlCodec,
  duckdbSql: string,
  probe: ProbeTypes,
): Promise<{ readonly sql: string; readonly sites: boolean }> {
  const parsed = JSON.parse(await codec.serialize(duckdbSql)) as Json;
  const statement = isNode(parsed) && parsed.error !== true ? nodes(parsed, 'statements')[0] : undefined;
  const root = statement?.node;
  if (!isNode(root ?? null)) return { sql: duckdbSql, sites: false };
  const scopes: SelectScope[] = [];
  forEachSelect(root as AstNode, (node, outerCtes) => {
    const scope = scopeOf(node, outerCtes);
    if (scope) scopes.push(scope);
  });
  if (scopes.length === 0) return { sql: duckdbSql, sites: false };
  let changed = false;
  // Inner SELECTs first: an outer probe binds their FROM with their sites already rewritten.
  for (const scope of scopes) {
    if (await rewriteScope(codec, scope, probe)) changed = true;
  }
  return { sql: changed ? await codec.deserialize(statementJson(root as AstNode)) : duckdbSql, sites: true };
}

/** The SELECT scope of `v` (a SELECT node) when it has field sites, with the CTEs visible to it. */
function scopeOf(v: AstNode, outerCtes: readonly AstNode[]): SelectScope | undefined {
  const relations = relationNames(v.from_table ?? null);
  const sites: FieldSite[] = [];
  for (const k of ['select_list', 'where_clause', 'group_expressions', 'having', 'qualify', 'modifiers']) {
    findSites(v[k] ?? null, relations, new Set(), sites, k === 'select_list');
  }
  for (const join of joins(v.from_table ?? null))
    findSites(join.condition ?? null, relations, new Set(), sites);
  return sites.length > 0 ? { node: v, outerCtes, sites } : undefined;
}

/** The JOIN nodes of a FROM clause (not those inside its subqueries). */
function joins(from: Json): AstNode[] {
  if (!isNode(from) || from.type !== 'JOIN') return [];
  return [from, ...joins(from.left ?? null), ...joins(from.right ?? null)];
}

/** DuckDB's `true` (a join condition that leaves a probe's column types as they are). */
const TRUE: AstNode = {
  class: 'CONSTANT',
  type: 'VALUE_CONSTANT',
  alias: '',
  query_location: 2 ** 64,
  value: { type: { id: 'BOOLEAN', type_info: null }, is_null: false, value: true },
};

/** Names (lower case) by which a FROM clause's relations are referred to. */
function relationNames(from: Json): Set<string> {
  const names = new Set<string>();
  const add = (t: Json): void => {
    if (!isNode(t)) return;
    if (t.type === 'JOIN') {
      add(t.left ?? null);
      add(t.right ?? null);
      return;
    }
    const alias = typeof t.alias === 'string' ? t.alias : '';
    if (alias !== '') names.add(alias.toLowerCase());
    else if (t.type === 'BASE_TABLE') names.add(str(t, 'table_name').toLowerCase());
    else if (t.type === 'TABLE_FUNCTION' && isNode(t.function ?? null))
      names.add(str(t.function as AstNode, 'function_name').toLowerCase());
  };
  add(from);
  return names;
}

/** Dotted column references of one SELECT's own expressions (not those of nested queries). */
function findSites(
  v: Json,
  relations: ReadonlySet<string>,
  params: ReadonlySet<string>,
  out: FieldSite[],
  selectList = false,
): void {
  if (Array.isArray(v)) {
    for (const x of v) {
      if (selectList && isNode(x) && x.class === 'COLUMN_REF') siteOf(x, relations, params, out, true);
      else findSites(x, relations, params, out);
    }
    return;
  }
  if (!isNode(v) || isNode(v.cte_map ?? null)) return;
  if (v.class === 'COLUMN_REF') {
    siteOf(v, relations, params, out, false);
    return;
  }
  if (v.class === 'LAMBDA') {
    const inner = new Set(params);
    const collect = (n: Json): void => {
      if (Array.isArray(n)) n.forEach(collect);
      else if (isNode(n) && n.class === 'COLUMN_REF' && Array.isArray(n.column_names))
        inner.add(String(n.column_names[0]).toLowerCase());
      else if (isNode(n)) Object.values(n).forEach(collect);
    };
    collect(v.lhs ?? null);
    findSites(v.expr ?? null, relations, inner, out);
    return;
  }
  for (const k in v) if (v[k] !== null && typeof v[k] === 'object') findSites(v[k]!, relations, params, out);
}

function siteOf(
  ref: AstNode,
  relations: ReadonlySet<string>,
  params: ReadonlySet<string>,
  out: FieldSite[],
  selectItem: boolean,
): void {
  const names = Array.isArray(ref.column_names) ? ref.column_names.map(String) : [];
  if (names.length < 2 || params.has(names[0]!.toLowerCase())) return;
  // A leading relation name qualifies the column (Spark and DuckDB try it first).
  const qualified = relations.has(names[0]!.toLowerCase()) ? 2 : 1;
  if (names.length <= qualified) return;
  out.push({ ref, base: names.slice(0, qualified), fields: names.slice(qualified), selectItem });
}

/** Probes one SELECT's base columns and rewrites its sites that read through a list. */
async function rewriteScope(codec: SqlCodec, scope: SelectScope, probe: ProbeTypes): Promise<boolean> {
  const bases = [...new Set(scope.sites.map((s) => JSON.stringify(s.base)))].map(
    (k) => JSON.parse(k) as string[],
  );
  const types = new Map<string, DuckType>();
  const together = await probeTypes(codec, scope, bases, probe);
  if (together) {
    for (const [i, t] of together.entries()) types.set(JSON.stringify(bases[i]), parseDuckType(t));
  } else if (bases.length > 1) {
    // One base the probe cannot bind (an outer query's column) must not hide the others.
    for (const b of bases) {
      const one = await probeTypes(codec, scope, [b], probe);
      if (one) types.set(JSON.stringify(b), parseDuckType(one[0]!));
    }
  }
  let changed = false;
  for (const site of scope.sites) {
    const type = types.get(JSON.stringify(site.base));
    if (!type || !throughList(type, site.fields)) continue;
    const access = fieldAccess([...site.base], type, site.fields);
    if (!access) continue;
    const alias =
      site.selectItem && str(site.ref, 'alias') === '' ? site.fields.at(-1)! : str(site.ref, 'alias');
    for (const k of Object.keys(site.ref)) delete site.ref[k];
    Object.assign(site.ref, access, { alias });
    changed = true;
  }
  return changed;
}

function probeTypes(
  codec: SqlCodec,
  scope: SelectScope,
  bases: readonly (readonly string[])[],
  probe: ProbeTypes,
): Promise<readonly string[] | undefined> {
  return probeSelectTypes(
    codec,
    scope.node,
    scope.outerCtes,
    bases.map((b) => ({ ...columnRef(b[0]!), column_names: [...b] })),
    probe,
  );
}

/**
 * The DuckDB types of `expressions` evaluated over the FROM clause of `select` (a SELECT_NODE,
 * with the CTEs visible to it from enclosing queries): a probe `SELECT e… FROM <the same FROM>`
 * bound by `probe`, never run. Undefined when the probe does not bind (an expression reads an
 * outer query's column, a lambda parameter, or mixes aggregates with plain columns).
 */
export async function probeSelectTypes(
  codec: SqlCodec,
  select: AstNode,
  outerCtes: readonly AstNode[],
  expressions: readonly AstNode[],
  probe: ProbeTypes,
): Promise<readonly string[] | undefined> {
  const own = nodes(select.cte_map as AstNode, 'map');
  const shadowed = new Set(own.map((e) => str(e, 'key').toLowerCase()));
  const from = structuredClone(select.from_table ?? null);
  // A join condition never changes a column's type, and may itself hold the field access being
  // typed (which would not bind yet): the probe joins on `true`.
  for (const join of joins(from)) if (isNode(join.condition ?? null)) join.condition = structuredClone(TRUE);
  const node: AstNode = {
    ...structuredClone(select),
    from_table: from,
    cte_map: {
      map: [
        ...outerCtes.filter((e) => !shadowed.has(str(e, 'key').toLowerCase())).map((e) => structuredClone(e)),
        ...structuredClone(own),
      ],
    },
    select_list: expressions.map((e, i) => ({ ...structuredClone(e), alias: `c${i}` })),
    where_clause: null,
    group_expressions: [],
    group_sets: [],
    aggregate_handling: 'STANDARD_HANDLING',
    having: null,
    qualify: null,
    sample: null,
    modifiers: [],
  };
  const types = await probe(await codec.deserialize(statementJson(node)));
  return types && types.length === expressions.length ? types : undefined;
}

/** Whether following `fields` from a value of `type` meets a list before the path ends. */
function throughList(type: DuckType, fields: readonly string[]): boolean {
  let t: DuckType | undefined = type;
  for (const f of fields) {
    if (t?.kind === 'list') return true;
    t = t?.kind === 'struct' ? structField(t, f)?.type : undefined;
    if (!t) return false;
  }
  return false;
}

/** The field of a struct named `name` (Spark's resolver ignores case); undefined when none or ambiguous. */
function structField(type: DuckType & { kind: 'struct' }, name: string) {
  const matches = type.fields.filter((f) => f.name.toLowerCase() === name.toLowerCase());
  return matches.length === 1 ? matches[0] : undefined;
}

/**
 * The DuckDB expression of `path.fields…` where `path` (a column reference's names) has `type`:
 * struct fields extend the reference; an array of structs maps its elements with
 * `list_transform`, inside which only struct fields may follow (Spark reads a name on an array
 * of arrays as an item index, not a field). Undefined when Spark would not read the path as fields.
 */
function fieldAccess(path: string[], type: DuckType, fields: readonly string[]): AstNode | undefined {
  if (fields.length === 0) return { ...columnRef(path[0]!), column_names: path };
  const [f, ...rest] = fields as [string, ...string[]];
  if (type.kind === 'struct') {
    const field = structField(type, f);
    return field ? fieldAccess([...path, field.name], field.type, rest) : undefined;
  }
  if (type.kind !== 'list' || type.element.kind !== 'struct') return undefined;
  const field = structField(type.element, f);
  if (!field) return undefined;
  const x = '__sluice_elem';
  const inner = structPath([x, field.name], field.type, rest);
  if (!inner) return undefined;
  return fn('list_transform', { ...columnRef(path[0]!), column_names: path }, lambda(x, inner));
}

/** `path.fields…` through struct fields only (inside an array's element mapping). */
function structPath(path: string[], type: DuckType, fields: readonly string[]): AstNode | undefined {
  if (fields.length === 0) return { ...columnRef(path[0]!), column_names: path };
  if (type.kind !== 'struct') return undefined;
  const field = structField(type, fields[0]!);
  return field ? structPath([...path, field.name], field.type, fields.slice(1)) : undefined;
}
