/**
 * The slice of DuckDB's serialized parse tree (`json_serialize_sql`, DuckDB 1.5) that sluice
 * reads and builds. Nodes are plain JSON objects; the factories below produce exactly the
 * shapes DuckDB's own serializer emits, so `json_deserialize_sql` accepts them.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type AstNode = { [key: string]: Json };

/** DuckDB's "no location" marker (u64 max); JSON numbers round it, DuckDB accepts that back. */
export const NO_LOCATION = 2 ** 64;

/** A DOUBLE / FLOAT constant's whole-number value, marked to be written with a decimal point. */
const REAL_MARK = '__sluice_real__';

/**
 * The JSON `json_deserialize_sql` takes for one select statement. JSON numbers round DuckDB's
 * u64 "no location" marker up to 2^64; it is written back exactly. A DOUBLE constant with a
 * whole value (`1e2`) is written `100.0`: DuckDB refuses `100` for a double.
 */
export function statementJson(node: AstNode): string {
  const statement = { error: false, statements: [{ node, named_param_map: [] }] };
  // The replacer below costs a call per key; most trees have no whole DOUBLE constant to mark.
  if (!hasWholeReal(node)) return exactNoLocation(JSON.stringify(statement));
  return exactNoLocation(JSON.stringify(statement, realMarker)).replace(
    new RegExp(`"${REAL_MARK}(-?\\d+)"`, 'g'),
    '$1.0',
  );
}

/** JSON text with DuckDB's rounded "no location" marker (2^64) written back as u64 max. */
function exactNoLocation(json: string): string {
  return json.replace(/:18446744073709552000(?=[,}])/g, ':18446744073709551615');
}

/** Whether `JSON.stringify` writes an integral number for a DOUBLE / FLOAT constant's value. */
function isWholeReal(holder: { readonly type?: unknown }, v: unknown): boolean {
  if (typeof v !== 'number' || !Number.isInteger(v) || !/^-?\d+$/.test(String(v))) return false;
  const type = holder.type;
  const id = isNode(type as Json) ? str(type as AstNode, 'id') : '';
  return id === 'DOUBLE' || id === 'FLOAT';
}

/** Whether a tree holds a `value` key the replacer {@link realMarker} would rewrite. */
function hasWholeReal(v: Json): boolean {
  if (Array.isArray(v)) {
    for (const x of v) if (x !== null && typeof x === 'object' && hasWholeReal(x)) return true;
    return false;
  }
  if (v === null || typeof v !== 'object') return false;
  for (const key in v) {
    const x = v[key]!;
    if (key === 'value' && isWholeReal(v, x)) return true;
    if (x !== null && typeof x === 'object' && hasWholeReal(x)) return true;
  }
  return false;
}

/** `JSON.stringify`'s replacer marking a whole DOUBLE / FLOAT value, to be written `100.0`. */
function realMarker(this: unknown, key: string, v: unknown): unknown {
  if (key !== 'value' || !isWholeReal(this as { type?: unknown }, v)) return v;
  return `${REAL_MARK}${v as number}`;
}

export function isNode(v: Json | undefined): v is AstNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(node: AstNode, key: string): string {
  const v = node[key];
  return typeof v === 'string' ? v : '';
}

export function nodes(node: AstNode, key: string): AstNode[] {
  const v = node[key];
  return Array.isArray(v) ? (v.filter((x) => isNode(x)) as AstNode[]) : [];
}

/** The source position DuckDB recorded (a byte offset into the parsed text), if any. */
export function queryLocation(node: AstNode): number | undefined {
  const v = node.query_location;
  return typeof v === 'number' && v < 1e15 ? v : undefined;
}

function base(cls: string, type: string, location?: number): AstNode {
  return { class: cls, type, alias: '', query_location: location ?? NO_LOCATION };
}

export function functionNode(name: string, children: AstNode[], location?: number): AstNode {
  return {
    ...base('FUNCTION', 'FUNCTION', location),
    function_name: name,
    schema: '',
    children,
    filter: null,
    order_bys: { type: 'ORDER_MODIFIER', orders: [] },
    distinct: false,
    is_operator: false,
    export_state: false,
    catalog: '',
  };
}

export function operatorFunction(op: string, children: AstNode[]): AstNode {
  return { ...functionNode(op, children), is_operator: true };
}

export function stringConstant(value: string): AstNode {
  return {
    ...base('CONSTANT', 'VALUE_CONSTANT'),
    value: { type: { id: 'VARCHAR', type_info: null }, is_null: false, value },
  };
}

export function integerConstant(value: number): AstNode {
  return {
    ...base('CONSTANT', 'VALUE_CONSTANT'),
    value: { type: { id: 'INTEGER', type_info: null }, is_null: false, value },
  };
}

export function nullConstant(): AstNode {
  return {
    ...base('CONSTANT', 'VALUE_CONSTANT'),
    value: { type: { id: 'NULL', type_info: null }, is_null: true },
  };
}

/** A cast to a parameterless DuckDB type (`VARCHAR`, `DATE`, `TIMESTAMP WITH TIME ZONE`, …). */
export function castNode(child: AstNode, typeId: string, tryCast = false): AstNode {
  return {
    ...base('CAST', 'OPERATOR_CAST'),
    child,
    cast_type: { id: typeId, type_info: null },
    try_cast: tryCast,
  };
}

export function caseNode(checks: { when: AstNode; result: AstNode }[], otherwise: AstNode): AstNode {
  return {
    ...base('CASE', 'CASE_EXPR'),
    case_checks: checks.map((c) => ({ when_expr: c.when, then_expr: c.result })),
    else_expr: otherwise,
  };
}

export function operatorNode(
  type: 'OPERATOR_IS_NULL' | 'OPERATOR_IS_NOT_NULL' | 'OPERATOR_NOT',
  child: AstNode,
): AstNode {
  return { ...base('OPERATOR', type), children: [child] };
}

export function conjunction(type: 'CONJUNCTION_AND' | 'CONJUNCTION_OR', children: AstNode[]): AstNode {
  return { ...base('CONJUNCTION', type), children };
}

export function comparison(type: string, left: AstNode, right: AstNode): AstNode {
  return { ...base('COMPARISON', type), left, right };
}

/** The value of a CONSTANT node as text (`CAST('t' AS BOOLEAN)` → `true`), else undefined. */
export function constantText(node: AstNode): string | undefined {
  if (node.class === 'CONSTANT' && isNode(node.value)) {
    if (node.value.is_null === true) return undefined;
    const v = node.value.value;
    const type = isNode(node.value.type) ? str(node.value.type, 'id') : '';
    if (type === 'DECIMAL' && typeof v === 'number') {
      const info = isNode(node.value.type) ? node.value.type.type_info : null;
      const scale = isNode(info) && typeof info.scale === 'number' ? info.scale : 0;
      return String(v / 10 ** scale);
    }
    return v === null || typeof v === 'object' ? undefined : String(v);
  }
  if (
    node.class === 'CAST' &&
    isNode(node.child) &&
    isNode(node.cast_type) &&
    node.cast_type.id === 'BOOLEAN'
  ) {
    const inner = constantText(node.child);
    if (inner === 't') return 'true';
    if (inner === 'f') return 'false';
    return inner;
  }
  return undefined;
}

/** Visits the nodes of `v` depth first; `visit` returning false skips a node's children. */
export function walk(v: Json, visit: (n: AstNode) => boolean): void {
  if (Array.isArray(v)) {
    for (const x of v) walk(x, visit);
    return;
  }
  if (!isNode(v)) return;
  if (!visit(v)) return;
  for (const x of Object.values(v)) if (x !== null && typeof x === 'object') walk(x, visit);
}

/** Whether some node of `v` passes `test` (the walk stops at the first). */
export function contains(v: Json, test: (n: AstNode) => boolean): boolean {
  let found = false;
  walk(v, (n) => {
    if (test(n)) found = true;
    return !found;
  });
  return found;
}

/**
 * Calls `visit` for every SELECT node of a parsed statement in post-order — a query's CTEs and
 * subqueries before the query — with the CTEs visible to it from enclosing queries, in order.
 */
export function forEachSelect(
  v: Json,
  visit: (select: AstNode, outerCtes: readonly AstNode[]) => void,
  outerCtes: readonly AstNode[] = [],
): void {
  if (Array.isArray(v)) {
    for (const x of v) forEachSelect(x, visit, outerCtes);
    return;
  }
  if (!isNode(v)) return;
  if (!isNode(v.cte_map ?? null)) {
    for (const k in v) if (v[k] !== null && typeof v[k] === 'object') forEachSelect(v[k]!, visit, outerCtes);
    return;
  }
  const visible = [...outerCtes];
  for (const entry of nodes(v.cte_map as AstNode, 'map')) {
    forEachSelect(entry.value ?? null, visit, visible);
    visible.push(entry);
  }
  for (const k in v) {
    if (k !== 'cte_map' && v[k] !== null && typeof v[k] === 'object') forEachSelect(v[k]!, visit, visible);
  }
  if (v.type === 'SELECT_NODE') visit(v, outerCtes);
}
