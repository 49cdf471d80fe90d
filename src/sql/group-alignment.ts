/**
 * GROUP BY expressions that repeat a select-list expression stay identical after translation.
 *
 * DuckDB matches the select list against GROUP BY by expression equality. A translation may
 * embed where it was written (a failing cast names its `file:line:col`), so the two copies of
 * `CAST(z AS INT)` in `SELECT CAST(z AS INT) … GROUP BY CAST(z AS INT)` differ once translated and
 * DuckDB refuses the query. Each GROUP BY expression that equals a select-list expression but for
 * such locations is replaced by a copy of that select-list expression.
 */
import { type AstNode, isNode, type Json, nodes } from './ast.ts';

/** ` (file:line[:col])`, as translations write a location into a message. */
const LOCATION_TEXT = / \([^()\s]+:\d+(?::\d+)?\)/g;

/** An expression's shape without positions, aliases or written locations. */
function shape(x: Json): string {
  return JSON.stringify(x, (key, value) => {
    if (key === 'query_location' || key === 'alias') return undefined;
    return typeof value === 'string' ? value.replace(LOCATION_TEXT, '') : value;
  });
}

/**
 * `x` with every expression whose shape is one of `canon`'s replaced by a copy of that canonical
 * expression (keeping the replaced node's alias); outermost matches first.
 */
function canonical(x: Json, canon: ReadonlyMap<string, AstNode>): Json {
  if (Array.isArray(x)) return x.map((v) => canonical(v, canon));
  if (!isNode(x)) return x;
  if (typeof x.class === 'string') {
    const match = canon.get(shape(x));
    if (match)
      return { ...structuredClone(match), alias: x.alias ?? '', query_location: x.query_location ?? null };
  }
  const out: AstNode = {};
  for (const [k, v] of Object.entries(x))
    out[k] = v !== null && typeof v === 'object' ? canonical(v, canon) : v;
  return out;
}

/**
 * Makes a translated SELECT_NODE's select list, HAVING and ORDER BY use the very expressions its
 * GROUP BY uses wherever they differ only by written locations (see the module comment).
 */
export function alignGroupExpressions(node: AstNode): AstNode {
  const groups = nodes(node, 'group_expressions');
  if (groups.length === 0) return node;
  const canon = new Map(groups.map((g) => [shape(g), g] as const));
  return {
    ...node,
    select_list: canonical(node.select_list ?? null, canon),
    having: canonical(node.having ?? null, canon),
    modifiers: canonical(node.modifiers ?? null, canon),
  };
}
