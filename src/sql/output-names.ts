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
 * The SELECTs checked are those that name the output (output-reach.ts): the query's own (a set
 * operation's first branch) and those whose columns reach it through a star — a subquery in
 * FROM, a CTE. Subqueries and CTEs selected only by name, and other clauses, are left alone.
 * Within a checked SELECT, a name given twice (without regard to case) and a name Delta refuses
 * without column mapping are refused at the item too; the names a star or generator gives are
 * checked once the query is bound (engine/tables/column-names.ts).
 */
import { type ErrorCode, SluiceError, type SourceLocation } from '../errors/index.ts';
import { type AstNode, isNode, type Json, nodes, queryLocation, str } from './ast.ts';
import { GENERATOR_NAMES } from './functions/generator.ts';
import { reachedSelects } from './output-reach.ts';
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
 * Names the unaliased `window(…)` / `session_window(…)` items of every SELECT that names a parsed
 * query's output (its own output SELECT and those reached through a star, output-reach.ts) and
 * refuses, at the item: any other unaliased computed item (UNALIASED_EXPRESSION) and, when the
 * rows are `written` to a table (not a view's), a name given twice within one SELECT, without
 * regard to case (DELTA_DUPLICATE_COLUMNS_FOUND), and a name Delta refuses without column
 * mapping (DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES). Names known
 * only once the query is bound (a star's, a generator's) are checked then (engine/tables/
 * column-names.ts). Mutates `root`.
 */
export function nameOutputColumns(
  root: AstNode,
  place: ParsedPlace,
  opts: { readonly written: boolean } = { written: true },
): void {
  for (const reached of reachedSelects(root))
    nameSelectColumns(reached.select, reached.from, place, opts.written);
}

/** Names (and refuses) the items from `from` on of a SELECT naming the output; `written`: check their names too. */
function nameSelectColumns(select: AstNode, from: number, place: ParsedPlace, written: boolean): void {
  const items = nodes(select, 'select_list');
  const names = new Map<string, string>();
  for (const [index, item] of items.entries()) {
    if (index < from) continue;
    const name = itemName(item, place, items, index);
    if (name === undefined || !written) continue;
    if (INVALID_NAME_CHARS.test(name)) {
      throw refusal(
        place,
        items,
        index,
        'DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES',
        (expression) =>
          `the column \`${name}\` (select item \`${expression}\`) has a character Delta refuses in column names without column mapping, which sluice does not write (one of ${INVALID_CHARS_TEXT}); rename it with an alias`,
        { column: name },
      );
    }
    const key = name.toLowerCase();
    const first = names.get(key);
    if (first !== undefined) {
      throw refusal(
        place,
        items,
        index,
        'DELTA_DUPLICATE_COLUMNS_FOUND',
        (expression) =>
          `found duplicate column(s) in the data to save: \`${first}\` and \`${name}\` (select item \`${expression}\`); Delta compares column names without regard to case — rename one with an alias`,
        { columns: first === name ? name : `${first}, ${name}` },
      );
    }
    names.set(key, name);
  }
}

/**
 * The name of an output item when the parsed query tells it (an alias, a column reference's or
 * struct field's last part, `window` / `session_window`), undefined when the binding tells it (a
 * star, a generator, a struct's fields); refuses an unaliased computed item.
 */
function itemName(
  item: AstNode,
  place: ParsedPlace,
  items: readonly AstNode[],
  index: number,
): string | undefined {
  const alias = str(item, 'alias');
  if (alias !== '') return alias;
  if (item.class === 'COLUMN_REF') {
    const parts = Array.isArray(item.column_names) ? item.column_names : [];
    const last = parts[parts.length - 1];
    return typeof last === 'string' ? last : undefined;
  }
  if (item.class === 'STAR') return undefined;
  const name = functionName(item);
  if (name !== undefined && GENERATORS.has(name)) return undefined;
  // The fields of a struct (`s.a.*`, which the prepass writes `__sluice_struct_star(s.a)`):
  // named by the fields, as in Spark.
  if (name === '__sluice_struct_star') return undefined;
  if (name !== undefined && NAMED_CALLS.has(name)) {
    item.alias = name;
    return name;
  }
  throw refusal(
    place,
    items,
    index,
    'UNALIASED_EXPRESSION',
    (expression) =>
      `the select item \`${expression}\` has no alias: Spark would name its column after the expression's text, which Delta tables do not accept without column mapping; add an alias (e.g. \`count(*) AS n\`)`,
    {},
  );
}

/** Characters Delta refuses in a column name (at any depth) without column mapping. */
const INVALID_NAME_CHARS = /[ ,;{}()\n\t=]/;
const INVALID_CHARS_TEXT = "' ,;{}()\\n\\t='";

/** Error `code` about select item `index`, with its text as written (`message`'s argument) and `file:line`. */
function refusal(
  place: ParsedPlace,
  items: readonly AstNode[],
  index: number,
  code: ErrorCode,
  message: (expression: string) => string,
  params: Record<string, unknown>,
): SluiceError {
  const item = items[index]!;
  const at = leftmost(item);
  const position = Number.isFinite(at) ? at : undefined;
  const list = leftmost(items as AstNode[]);
  const expression =
    (position !== undefined
      ? itemText(place.text, place.sourceOffset(list), index, items.length, place.sourceOffset(position))
      : '') || 'expression';
  const location = place.locate(position);
  return new SluiceError(code, message(expression), {
    params: { expression, ...params },
    ...(location ? { location } : {}),
  });
}
