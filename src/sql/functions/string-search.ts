/**
 * Spark functions: finding text in strings — locate, instr, contains, substring_index,
 * find_in_set, elt. See `index.ts` for how rules work, `builders.ts` for type branching.
 */
import { type AstNode, constantText, str } from '../ast.ts';
import {
  asBytes,
  asText,
  cast,
  coalesce,
  col,
  eq,
  fail,
  fn,
  gt,
  int,
  isBinaryExpression,
  isNull,
  lambda,
  listItem,
  lt,
  nul,
  op,
  or,
  reuse,
  text,
  when,
} from './builders.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

/**
 * Spark's locate(substr, str[, pos]): the 1-based position of `substr` in `str` at or after
 * `pos`; 0 when not found, when `pos` < 1 or when `pos` is NULL; an empty `substr` is found at 1.
 * `position(substr IN str)` reaches here with its arguments the other way round (DuckDB's parser
 * writes it as `main.position(str, substr)`).
 */
function locate(c: FunctionCall): AstNode {
  arity(c, 2, 3);
  const swapped = str(c.node, 'schema') === 'main' && c.args.length === 2;
  const [subIndex, strIndex] = swapped ? [1, 0] : [0, 1];
  const sub = () => asText(reuse(c, subIndex));
  const s = () => asText(reuse(c, strIndex));
  if (c.args.length === 2) return cast(fn('instr', s(), sub()), 'INTEGER');
  const pos = () => reuse(c, 2);
  // instr(substring(str, pos), substr) + pos - 1, or 0 when not found.
  const found = fn('instr', fn('substring', s(), pos()), sub());
  return cast(
    when(
      [
        [isNull(pos()), int(0)],
        [or(isNull(sub()), isNull(s())), nul()],
        [lt(pos(), int(1)), int(0)],
        [eq(sub(), text('')), int(1)],
        [eq(found, int(0)), int(0)],
      ],
      op('-', op('+', structuredClone(found), pos()), int(1)),
    ),
    'INTEGER',
  );
}

/** Spark's instr(str, substr): 1-based, 0 when not found, INT. */
function instr(c: FunctionCall): AstNode {
  arity(c, 2);
  return cast(fn('instr', asText(c.args[0]!), asText(c.args[1]!)), 'INTEGER');
}

/** startswith / endswith / contains, on bytes when an argument is binary. */
function bytesOrText(kind: 'starts' | 'ends' | 'contains'): FunctionRule {
  return (c) => {
    arity(c, 2);
    const [a, b] = c.args as [AstNode, AstNode];
    if (isBinaryExpression(a) || isBinaryExpression(b)) {
      const ha = fn('hex', asBytes(a));
      const hb = fn('hex', asBytes(b));
      if (kind === 'starts') return fn('starts_with', ha, hb);
      if (kind === 'ends') return fn('suffix', ha, hb);
      // A match on hex digits must start at a byte boundary (an even offset).
      return fn('regexp_matches', ha, op('||', text('^(?:[0-9A-F]{2})*?'), hb));
    }
    const name = kind === 'starts' ? 'starts_with' : kind === 'ends' ? 'suffix' : 'contains';
    return fn(name, asText(a), asText(b));
  };
}

/** A delimiter whose occurrences can overlap (`aa` in `aaa`): a proper prefix equals a suffix. */
function selfOverlapping(d: string): boolean {
  const chars = [...d];
  for (let k = 1; k < chars.length; k++) {
    if (chars.slice(0, k).join('') === chars.slice(chars.length - k).join('')) return true;
  }
  return false;
}

/**
 * Spark's substring_index(str, delim, count): the part before the count-th delimiter (from the
 * left for count > 0, after it from the right for count < 0), the whole string when there are
 * fewer delimiters, '' for count 0 or an empty delimiter. Occurrences may overlap in Spark, so a
 * delimiter that can overlap itself searches position by position.
 */
function substringIndex(c: FunctionCall): AstNode {
  arity(c, 3);
  const d = constantText(c.args[1]!);
  if (d === '') return when([[or(isNull(reuse(c, 0)), isNull(reuse(c, 2))), nul()]], text(''));
  const s = () => asText(reuse(c, 0));
  const delim = () => asText(reuse(c, 1));
  const count = () => reuse(c, 2);
  let positive: AstNode;
  let negative: AstNode;
  if (d !== undefined && !selfOverlapping(d)) {
    const parts = () => fn('string_split', s(), delim());
    positive = fn('array_to_string', fn('list_slice', parts(), int(1), count()), delim());
    const from = fn(
      'greatest',
      int(1),
      op('-', op('+', fn('len', parts()), int(1)), op('-', int(0), count())),
    );
    negative = fn('array_to_string', fn('list_slice', parts(), from, fn('len', parts())), delim());
  } else {
    // Every (overlapping) occurrence's 1-based position.
    const m = () => fn('length', delim());
    const p = '__sluice_p';
    const hits = () =>
      fn(
        'list_filter',
        fn('range', int(1), op('+', op('-', fn('length', s()), m()), int(2))),
        lambda([p], eq(fn('substring', s(), col(p), m()), delim())),
      );
    const kth = (k: AstNode) => listItem(hits(), k);
    positive = when(
      [[gt(count(), fn('len', hits())), s()]],
      fn('left', s(), cast(op('-', kth(count()), int(1)), 'BIGINT')),
    );
    negative = when(
      [[gt(op('-', int(0), count()), fn('len', hits())), s()]],
      fn('substring', s(), op('+', kth(op('+', op('+', fn('len', hits()), count()), int(1))), m())),
    );
  }
  return when(
    [
      [or(isNull(reuse(c, 0)), isNull(reuse(c, 1)), isNull(count())), nul()],
      [or(eq(count(), int(0)), eq(delim(), text(''))), text('')],
      [gt(count(), int(0)), positive],
    ],
    negative,
  );
}

/** Spark's find_in_set: the 1-based index of `str` in a comma-separated list, 0 when absent or when `str` has a comma. */
function findInSet(c: FunctionCall): AstNode {
  arity(c, 2);
  const s = () => asText(reuse(c, 0));
  const list = () => asText(reuse(c, 1));
  return cast(
    when(
      [
        [or(isNull(s()), isNull(list())), nul()],
        [fn('contains', s(), text(',')), int(0)],
      ],
      coalesce(fn('list_position', fn('string_split', list(), text(',')), s()), int(0)),
    ),
    'INTEGER',
  );
}

/** Spark's elt(n, a, b, …): the n-th value; an index out of range is an error (ANSI mode). */
function elt(c: FunctionCall): AstNode {
  if (c.args.length < 2) c.unsupported('elt() needs an index and at least one value');
  const binary = c.args.slice(1).every((a) => isBinaryExpression(a));
  const n = () => reuse(c, 0);
  const checks: [AstNode, AstNode][] = [[isNull(n()), nul()]];
  c.args.slice(1).forEach((a, i) => {
    checks.push([eq(n(), int(i + 1)), binary ? a : asText(a)]);
  });
  return when(
    checks,
    fail('INVALID_FUNCTION_INPUT', `elt: the index must be between 1 and ${c.args.length - 1}`),
  );
}

/** Spark's replace(str, search[, replace]): an empty search leaves the string as it is. */
function replace(c: FunctionCall): AstNode {
  arity(c, 2, 3);
  const [s, search] = c.args as [AstNode, AstNode];
  return fn('replace', asText(s), asText(search), c.args[2] === undefined ? text('') : asText(c.args[2]));
}

export const STRING_SEARCH_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  locate,
  position: locate,
  instr,
  startswith: bytesOrText('starts'),
  endswith: bytesOrText('ends'),
  contains: bytesOrText('contains'),
  substring_index: substringIndex,
  find_in_set: findInSet,
  elt,
  replace,
};
