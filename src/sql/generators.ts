/**
 * Spark generators (explode, posexplode, inline, stack, json_tuple …) in the places Spark allows
 * them, translated to DuckDB `unnest`:
 *
 * - a select item: `SELECT k, explode(arr) AS v FROM t` — the function rule marks the call
 *   (`functions/generator.ts`) and {@link expandGenerators} replaces the item by its columns, as
 *   DuckDB's unnest in a select list repeats the other items for every element, like Spark's
 *   Generate. Spark allows one generator per SELECT and none inside an expression; so does this.
 * - a table: `SELECT * FROM explode(array(1, 2)) AS t(x)` is read as
 *   `(SELECT explode(…)) AS t(x)` (syntax-functions.ts), then the select-item form applies;
 * - `LATERAL VIEW [OUTER] gen(…) t AS c1, c2` is rewritten by the pre-pass
 *   (prepass-clauses.ts) into a LATERAL join on `(SELECT gen(…)) AS t(c1, c2)`, ditto.
 */
import { type AstNode, isNode, type Json, nodes, str } from './ast.ts';
import { type GeneratorName, generatorColumns, markedGenerator } from './functions/generator.ts';

/** Raises the refusal of a generator call (UNSUPPORTED_SPARK_FUNCTION at its position). */
export type RefuseGenerator = (node: AstNode, name: string, reason: string) => never;

/** The first marked generator call in `v`, not looking into nested queries (already expanded). */
function findMarked(v: Json): AstNode | undefined {
  if (Array.isArray(v)) {
    for (const x of v) {
      const found = findMarked(x);
      if (found) return found;
    }
    return undefined;
  }
  if (!isNode(v) || isNode(v.cte_map)) return undefined;
  if (markedGenerator(v)) return v;
  for (const k in v) {
    const x = v[k];
    if (x !== null && typeof x === 'object') {
      const found = findMarked(x);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Replaces the generator select item of a translated SELECT node by its DuckDB columns; refuses
 * a second generator, a generator inside an expression and one in any other clause.
 */
export function expandGenerators(select: AstNode, refuse: RefuseGenerator): AstNode {
  const items = nodes(select, 'select_list');
  let generator: GeneratorName | undefined;
  const out: AstNode[] = [];
  for (const item of items) {
    const name = markedGenerator(item);
    if (!name) {
      const nested = findMarked(item);
      if (nested) refuse(nested, markedGenerator(nested)!, 'a generator cannot be nested in an expression');
      out.push(item);
      continue;
    }
    if (generator)
      refuse(item, name, `only one generator is allowed per SELECT (${generator} is already here)`);
    generator = name;
    const columns = generatorColumns(name, nodes(item, 'children'));
    if ('refused' in columns) refuse(item, name, columns.refused);
    const alias = str(item, 'alias');
    if (alias) {
      if (columns.length !== 1 || columns[0]!.name === undefined)
        refuse(
          item,
          name,
          `${name}() here gives more than one column; name them in a LATERAL VIEW (… AS a, b)`,
        );
      out.push({ ...columns[0]!.expr, alias, query_location: item.query_location ?? null });
      continue;
    }
    for (const c of columns) out.push(c.name === undefined ? c.expr : { ...c.expr, alias: c.name });
  }
  for (const key of Object.keys(select)) {
    if (key === 'select_list') continue;
    const nested = findMarked(select[key]!);
    if (nested) refuse(nested, markedGenerator(nested)!, 'a generator is only allowed as a select item');
  }
  return generator ? { ...select, select_list: out } : select;
}
