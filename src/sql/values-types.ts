/**
 * What the text of a query shows about the type of a column read from an inline VALUES list
 * (`FROM VALUES (INTERVAL '0' MONTH), (INTERVAL '10' MONTH) AS tab(col)`): sluice translates
 * without knowing column types, but a column whose every row is an ANSI interval literal of one
 * kind has that type in Spark. Function rules whose Spark result type depends on it (and which
 * DuckDB cannot follow) refuse such a column when the query compiles instead of failing at run.
 */
import { type AstNode, isNode, type Json, nodes } from './ast.ts';
import { intervalKind } from './functions/datetime-fields.ts';

/** The interval columns (lower-case name → kind) of an inline VALUES list a FROM clause reads. */
export function valuesIntervalColumns(from: Json): ReadonlyMap<string, 'ym' | 'dt'> {
  const out = new Map<string, 'ym' | 'dt'>();
  if (!isNode(from)) return out;
  let list: AstNode | undefined;
  let names: readonly string[] = [];
  if (from.type === 'EXPRESSION_LIST') {
    list = from;
    names = Array.isArray(from.expected_names) ? from.expected_names.map(String) : [];
  } else if (from.type === 'SUBQUERY' && isNode(from.subquery ?? null)) {
    const inner = (from.subquery as AstNode).node;
    const star = isNode(inner ?? null) ? nodes(inner as AstNode, 'select_list') : [];
    const innerFrom = isNode(inner ?? null) ? (inner as AstNode).from_table : null;
    if (star.length === 1 && star[0]!.class === 'STAR' && isNode(innerFrom ?? null)) {
      if ((innerFrom as AstNode).type === 'EXPRESSION_LIST') list = innerFrom as AstNode;
    }
    names = Array.isArray(from.column_name_alias) ? from.column_name_alias.map(String) : [];
  }
  const rows = list && Array.isArray(list.values) ? list.values : [];
  if (rows.length === 0) return out;
  names.forEach((name, i) => {
    const kinds = rows.map((r) => {
      const v = Array.isArray(r) ? r[i] : undefined;
      return isNode(v ?? null) ? intervalKind(v as AstNode) : undefined;
    });
    const kind = kinds[0];
    if ((kind === 'ym' || kind === 'dt') && kinds.every((k) => k === kind)) out.set(name.toLowerCase(), kind);
  });
  return out;
}

/** The kind of `x` when it is an unqualified reference to one of `columns`. */
export function valuesColumnKind(
  columns: ReadonlyMap<string, 'ym' | 'dt'>,
  x: AstNode,
): 'ym' | 'dt' | undefined {
  if (columns.size === 0 || x.class !== 'COLUMN_REF' || !Array.isArray(x.column_names)) return undefined;
  return x.column_names.length === 1 ? columns.get(String(x.column_names[0]).toLowerCase()) : undefined;
}
