/**
 * The names of a dataset query's output columns. Spark names an unaliased select item from its
 * expression's text (`count(1)`, `(d + 1)`, `CAST(d AS INT)`), and Delta tables refuse such names
 * (spaces, commas, parentheses, `=` …) unless column mapping is on; DuckDB would name it from the
 * *translated* SQL instead. So a dataset's top-level output must name every column: an unaliased
 * item that is neither a column reference (`c`, `t.c`), a struct field (`s.f`, named `f`), a star
 * (`*`, `t.*`, `* EXCEPT (…)`) nor a generator (named by Spark's rules, generators.ts) is refused
 * with UNALIASED_EXPRESSION at its `file:line`, naming it as the user wrote it. An unaliased
 * `window(…)` / `session_window(…)` is named `window` / `session_window`, as Spark names it.
 *
 * Only the query's own output is checked: a set operation's names are its first branch's, and
 * subqueries, CTEs and other clauses are left alone.
 */
import { SluiceError, type SourceLocation } from '../errors/index.ts';
import { type AstNode, isNode, type Json, nodes, queryLocation, str } from './ast.ts';
import { GENERATOR_NAMES } from './functions/generator.ts';
import { isSymbol, type Token, tokenize } from './tokenizer.ts';

/** Where a parsed query's byte offsets lead: the user's text, and the file position of one. */
export interface ParsedPlace {
  /** The query text as the user wrote it (configuration substituted). */
  readonly text: string;
  /** The offset in `text` of a DuckDB byte offset of the parsed (pre-passed) text. */
  readonly sourceOffset: (byteOffset: number) => number;
  readonly locate: (byteOffset: number | undefined) => SourceLocation | undefined;
}

/** Calls Spark names by a valid column name when unaliased (the name is the call's). */
const NAMED_CALLS: ReadonlySet<string> = new Set(['window', 'session_window']);

const GENERATORS: ReadonlySet<string> = new Set(GENERATOR_NAMES);

/** Words that end a select item at its own depth. */
const ITEM_END = new Set([
  'from',
  'where',
  'group',
  'having',
  'order',
  'limit',
  'union',
  'intersect',
  'except',
  'minus',
  'window',
  'qualify',
  'lateral',
  'cluster',
  'distribute',
  'sort',
]);

/** Whether token `i` is a clause word ending a select item (not a name: `window.start`; not `* EXCEPT (…)`). */
function endsItem(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i]!;
  const word = t.text.toLowerCase();
  return (
    t.kind === 'word' &&
    ITEM_END.has(word) &&
    !isSymbol(tokens[i + 1], '.') &&
    !isSymbol(tokens[i - 1], '.') &&
    !(word === 'except' && isSymbol(tokens[i - 1], '*'))
  );
}

/** The SELECT node whose select list names a query's output (a set operation's first branch). */
function outputSelect(root: AstNode): AstNode | undefined {
  let node: AstNode | undefined = root;
  while (node && node.type !== 'SELECT_NODE') node = isNode(node.left) ? node.left : undefined;
  return node;
}

function functionName(item: AstNode): string | undefined {
  if (item.class !== 'FUNCTION' || str(item, 'schema') !== '' || str(item, 'catalog') !== '')
    return undefined;
  return str(item, 'function_name').toLowerCase();
}

/**
 * The smallest recorded position in an expression (its leftmost token, parentheses aside), not
 * looking into subqueries (a subquery node's own position is its start).
 */
function leftmost(v: Json, best = Number.POSITIVE_INFINITY): number {
  if (Array.isArray(v)) return v.reduce<number>((b, x) => leftmost(x, b), best);
  if (!isNode(v)) return best;
  let b = Math.min(best, queryLocation(v) ?? Number.POSITIVE_INFINITY);
  if (v.class === 'SUBQUERY') return b;
  for (const x of Object.values(v)) if (x !== null && typeof x === 'object') b = leftmost(x, b);
  return b;
}

const opens = (t: Token | undefined) => isSymbol(t, '(') || isSymbol(t, '[');
const closes = (t: Token | undefined) => isSymbol(t, ')') || isSymbol(t, ']');

/**
 * The token ranges `[first, last]` of the select items of the SELECT whose list holds the token
 * at `offset` (the nearest SELECT before it at its level or an enclosing one), as the user wrote
 * them: split at the list's own commas, ending at its next clause or closing parenthesis.
 */
function selectItemRanges(tokens: readonly Token[], offset: number): [number, number][] | undefined {
  let k = tokens.findIndex((t) => t.end > offset);
  if (k < 0) k = tokens.length;
  let depth = 0;
  let select = -1;
  for (let i = k - 1; i >= 0 && select < 0; i--) {
    const t = tokens[i]!;
    if (closes(t)) depth++;
    else if (opens(t)) depth = Math.max(0, depth - 1);
    else if (depth === 0 && t.kind === 'word' && t.text.toLowerCase() === 'select') select = i;
  }
  if (select < 0) return undefined;
  let i = select + 1;
  if (/^(distinct|all)$/i.test(tokens[i]?.text ?? '') && tokens[i]?.kind === 'word') i++;
  const ranges: [number, number][] = [];
  for (let first = i; ; ) {
    const last = itemEnd(tokens, first);
    ranges.push([first, last]);
    if (!isSymbol(tokens[last + 1], ',')) break;
    first = last + 2;
  }
  return ranges.every(([a, b]) => a <= b) ? ranges : undefined;
}

/**
 * The user's text of select item `index` of the list that `listOffset` (a position in its
 * first items) sits in; `itemOffset` (a position inside the item) is the fallback's anchor: the
 * tokens from it to the item's end.
 */
export function itemText(
  text: string,
  listOffset: number,
  index: number,
  count: number,
  itemOffset: number,
): string {
  const tokens = tokenize(text);
  const ranges = selectItemRanges(tokens, listOffset);
  let range = ranges?.length === count ? ranges[index] : undefined;
  if (!range) {
    const from = tokens.findIndex((t) => t.end > itemOffset);
    range = from < 0 ? undefined : [from, itemEnd(tokens, from)];
  }
  if (!range || range[1] < range[0]) return '';
  const out = text.slice(tokens[range[0]]!.start, tokens[range[1]]!.end).replace(/\s+/g, ' ');
  return out.length > 200 ? `${out.slice(0, 199)}…` : out;
}

/** The last token of the item starting at token `from`. */
function itemEnd(tokens: readonly Token[], from: number): number {
  let depth = 0;
  let i = from;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (opens(t)) depth++;
    else if (closes(t)) {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && (isSymbol(t, ',') || isSymbol(t, ';') || endsItem(tokens, i))) break;
  }
  return i - 1;
}

/**
 * Names the unaliased `window(…)` / `session_window(…)` items of a parsed query's output and
 * refuses any other unaliased computed item (UNALIASED_EXPRESSION, at the item). Mutates `root`.
 */
export function nameOutputColumns(root: AstNode, place: ParsedPlace): void {
  const select = outputSelect(root);
  if (!select) return;
  const items = nodes(select, 'select_list');
  for (const [index, item] of items.entries()) {
    if (str(item, 'alias') !== '' || item.class === 'COLUMN_REF' || item.class === 'STAR') continue;
    const name = functionName(item);
    if (name !== undefined && GENERATORS.has(name)) continue;
    // The fields of a struct (`s.a.*`, which the prepass writes `__sluice_struct_star(s.a)`):
    // named by the fields, as in Spark.
    if (name === '__sluice_struct_star') continue;
    if (name !== undefined && NAMED_CALLS.has(name)) {
      item.alias = name;
      continue;
    }
    const at = leftmost(item);
    const position = Number.isFinite(at) ? at : undefined;
    const list = leftmost(items);
    const expression =
      (position !== undefined
        ? itemText(place.text, place.sourceOffset(list), index, items.length, place.sourceOffset(position))
        : '') || 'expression';
    const location = place.locate(position);
    throw new SluiceError(
      'UNALIASED_EXPRESSION',
      `the select item \`${expression}\` has no alias: Spark would name its column after the expression's text, which Delta tables do not accept without column mapping; add an alias (e.g. \`count(*) AS n\`)`,
      { params: { expression }, ...(location ? { location } : {}) },
    );
  }
}
