import { sqlString } from '../util/index.ts';
import { encodeJsonPath, type JsonPathStep } from './json-path.ts';
import { type Locate, sparkSyntaxError, unsupportedSyntax } from './syntax-errors.ts';
import {
  endOf,
  type Group,
  isBrackets,
  isGroup,
  isParens,
  nodeIsSymbol,
  nodeIsWord,
  rawToken,
  startOf,
  type TreeNode,
  wordOf,
} from './token-tree.ts';
import type { Token } from './tokenizer.ts';

/**
 * The operator pre-pass: value expressions re-read with Spark's operator precedence and
 * re-written where DuckDB would read or compute them differently.
 *
 * Spark's binary operators, tightest first: `* / % div`, `+ - ||`, `<< >> >>>`, `&`, `^`, `|`
 * (then comparisons, NOT, AND, OR, which DuckDB orders the same way). DuckDB gives `&`, `|`,
 * `<<`, `>>` and `||` one shared precedence and reads `^` as power, so an expression using any
 * of them is written fully parenthesized. Operators whose DuckDB meaning differs become calls
 * of `__sluice_*` functions that the translation expands (syntax-functions.ts):
 * `a ^ b` (XOR), shifts (Java's masking of the shift count), `a div b`, and `/` and `%`, which
 * fail on a zero divisor under ANSI mode where DuckDB gives NULL. The JSON path operator
 * `raw:a.b[0]` (Databricks) binds like a field access and becomes `__sluice_json_path(raw, …)`.
 */

/** Binary operator → precedence level (1 binds tightest). */
const LEVEL: Readonly<Record<string, number>> = {
  '*': 1,
  '/': 1,
  '%': 1,
  DIV: 1,
  '+': 2,
  '-': 2,
  '||': 2,
  '<<': 3,
  '>>': 3,
  '>>>': 3,
  '&': 4,
  '^': 5,
  '|': 6,
};

/** Operators written as calls (`__sluice_<name>(a, b)`). */
const CALLS: Readonly<Record<string, string>> = {
  '/': '__sluice_divide',
  '%': '__sluice_mod',
  DIV: '__sluice_div',
  '<<': '__sluice_shiftleft',
  '>>': '__sluice_shiftright',
  '>>>': '__sluice_shiftrightunsigned',
  '^': '__sluice_xor',
};

/** Words that never begin an operand (keywords around expressions). */
const NOT_OPERAND = new Set([
  'SELECT',
  'DISTINCT',
  'ALL',
  'FROM',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'ON',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
  'BY',
  'HAVING',
  'LIMIT',
  'OFFSET',
  'BETWEEN',
  'IN',
  'IS',
  'LIKE',
  'ILIKE',
  'RLIKE',
  'REGEXP',
  'SIMILAR',
  'TO',
  'ESCAPE',
  'AS',
  'QUALIFY',
  'USING',
  'OVER',
  'WITHIN',
  'PARTITION',
  'ORDER',
  'GROUP',
  'JOIN',
  'UNION',
  'EXCEPT',
  'EXCLUDE',
  'INTERSECT',
  'MINUS',
  'VALUES',
  'EXISTS',
  'DIV',
  'RETURN',
  'ROWS',
  'RANGE',
  'PRECEDING',
  'FOLLOWING',
  'CASE',
]);

type Expr =
  | { readonly kind: 'nodes'; readonly nodes: readonly TreeNode[]; readonly rewrite: boolean }
  | { readonly kind: 'unary'; readonly op: Token; readonly operand: Expr }
  | { readonly kind: 'binary'; readonly op: Token; readonly left: Expr; readonly right: Expr };

function opOf(n: TreeNode | undefined): string | undefined {
  if (n === undefined || isGroup(n)) return undefined;
  if (n.kind === 'symbol' && Object.hasOwn(LEVEL, n.text)) return n.text;
  if (n.kind === 'word' && n.text.toUpperCase() === 'DIV') return 'DIV';
  return undefined;
}

function canStartOperand(n: TreeNode | undefined): boolean {
  if (n === undefined) return false;
  if (isGroup(n)) return !isBrackets(n);
  switch (n.kind) {
    case 'word':
      return !NOT_OPERAND.has(n.text.toUpperCase());
    case 'backtick':
    case 'string':
    case 'dstring':
    case 'number':
    case 'raw':
      return true;
    case 'symbol':
      return n.text === '-' || n.text === '+' || n.text === '~';
    default:
      return false;
  }
}

/** Rewrites the expressions of one level of the tree (and, first, of every group in it). */
export function rewriteExpressions(items: readonly TreeNode[], locate: Locate): TreeNode[] {
  const inner = items.map((n) =>
    isGroup(n) ? ({ ...n, items: rewriteExpressions(n.items, locate) } satisfies Group) : n,
  );
  const out: TreeNode[] = [];
  for (let i = 0; i < inner.length; ) {
    // An operand starts only where no operand just ended (else `-` / `+` are binary).
    const prev = out[out.length - 1];
    const n = inner[i]!;
    const marker =
      nodeIsSymbol(n, '?') ||
      (nodeIsSymbol(n, ':') && wordOf(inner[i + 1]) !== undefined && !(prev && endsOperand(prev)));
    if (marker) {
      throw unsupportedSyntax(
        'parameter marker',
        'parameter markers (?, :name) are not supported in pipeline queries',
        n as Token,
        locate,
      );
    }
    if (
      !canStartOperand(inner[i]) ||
      (prev !== undefined && endsOperand(prev) && opOf(inner[i]) !== undefined)
    ) {
      out.push(inner[i]!);
      i++;
      continue;
    }
    const parser = new ExpressionParser(inner, i, locate);
    const expr = parser.expression(6);
    if (!expr || parser.pos === i) {
      out.push(inner[i]!);
      i++;
      continue;
    }
    const predicate = matchPredicate(inner, parser.pos, expr, locate);
    if (predicate) {
      out.push(...predicate.nodes);
      i = predicate.end;
      continue;
    }
    out.push(...(needsRewrite(expr) ? emit(expr) : inner.slice(i, parser.pos)));
    i = parser.pos;
  }
  return out;
}

/**
 * `a [NOT] RLIKE p` → `[NOT] rlike(a, p)` (the function table translates Java regular
 * expressions); `a [NOT] LIKE p` and ILIKE → `[NOT] __sluice_like(a, p, '\')` with Spark's
 * default escape character (DuckDB has none); `a [NOT] LIKE ANY|SOME|ALL (p1, …)` → ORs / ANDs
 * of single matches.
 */
function matchPredicate(
  items: readonly TreeNode[],
  at: number,
  left: Expr,
  locate: Locate,
): { nodes: TreeNode[]; end: number } | undefined {
  let j = at;
  const notToken = nodeIsWord(items[j], 'NOT') ? (items[j] as Token) : undefined;
  if (notToken) j++;
  const kw = wordOf(items[j]);
  if (kw !== 'LIKE' && kw !== 'ILIKE' && kw !== 'RLIKE' && kw !== 'REGEXP') return undefined;
  const kwToken = items[j] as Token;
  const leftNodes = () => wrap(emit(left));
  const not = () => (notToken ? [notToken] : []);
  const quantifier = wordOf(items[j + 1]);
  if (
    (kw === 'LIKE' || kw === 'ILIKE') &&
    (quantifier === 'ANY' || quantifier === 'SOME' || quantifier === 'ALL')
  ) {
    const list = items[j + 2];
    if (!isParens(list) || list.items.length === 0) {
      throw unsupportedSyntax(
        `LIKE ${quantifier}`,
        `LIKE ${quantifier} needs a list of patterns`,
        kwToken,
        locate,
      );
    }
    const patterns = splitList(list.items).map((p) =>
      likeCall(kw, leftNodes(), p, undefined, not(), kwToken, locate),
    );
    const joiner = quantifier === 'ALL' ? 'AND' : 'OR';
    const nodes: TreeNode[] = [];
    patterns.forEach((p, k) => {
      if (k > 0) nodes.push({ ...kwToken, kind: 'word', text: joiner, value: joiner });
      nodes.push(...p);
    });
    return { nodes: [rawToken('(', kwToken.start), ...nodes, rawToken(')', kwToken.end)], end: j + 3 };
  }
  const parser = new ExpressionParser(items, j + 1, locate);
  const right = parser.expression(6);
  if (!right) return undefined;
  let end = parser.pos;
  const rightNodes = wrap(emit(right));
  if (kw === 'RLIKE' || kw === 'REGEXP') {
    const call = [
      rawToken('rlike(', kwToken.start),
      ...leftNodes(),
      rawToken(',', kwToken.start),
      ...rightNodes,
      rawToken(')', kwToken.end),
    ];
    return { nodes: [...not(), ...call], end };
  }
  let escapeToken: Token | undefined;
  const escapeValue = items[end + 1];
  if (
    nodeIsWord(items[end], 'ESCAPE') &&
    escapeValue &&
    !isGroup(escapeValue) &&
    escapeValue.kind === 'string'
  ) {
    escapeToken = escapeValue;
    end += 2;
  }
  return { nodes: likeCall(kw, leftNodes(), rightNodes, escapeToken, not(), kwToken, locate), end };
}

/** `[NOT] __sluice_like(left, pattern, escape)` (or `__sluice_ilike`). */
function likeCall(
  kw: string,
  left: TreeNode[],
  pattern: TreeNode[],
  escapeToken: Token | undefined,
  not: Token[],
  at: Token,
  locate: Locate,
): TreeNode[] {
  const escapeChar = escapeToken ? escapeToken.value : '\\';
  if (escapeToken && [...escapeToken.value].length !== 1) {
    throw sparkSyntaxError(
      `the LIKE escape must be one character, not '${escapeToken.value}'`,
      escapeToken,
      locate,
    );
  }
  const only = pattern.length === 1 ? pattern[0] : undefined;
  if (only && !isGroup(only) && only.kind === 'string') checkLikePattern(only, escapeChar, locate);
  const name = kw === 'ILIKE' ? '__sluice_ilike(' : '__sluice_like(';
  return [
    ...not,
    rawToken(name, at.start),
    ...left,
    rawToken(',', at.start),
    ...pattern,
    rawToken(',', at.start),
    rawToken(sqlString(escapeChar), escapeToken?.start ?? at.start, escapeToken?.end ?? at.end),
    rawToken(')', at.end),
  ];
}

/** Spark refuses a LIKE pattern whose escape character precedes anything but `_`, `%` or itself. */
function checkLikePattern(pattern: Token, escapeChar: string, locate: Locate): void {
  const chars = [...pattern.value];
  for (let k = 0; k < chars.length; k++) {
    if (chars[k] !== escapeChar) continue;
    const next = chars[k + 1];
    if (next === '_' || next === '%' || next === escapeChar) {
      k++;
      continue;
    }
    throw sparkSyntaxError(
      `the LIKE pattern '${pattern.value}' is invalid: the escape character '${escapeChar}' ${next === undefined ? 'ends it' : `precedes '${next}'`} (it may precede only _, % or itself)`,
      pattern,
      locate,
    );
  }
}

function splitList(items: readonly TreeNode[]): TreeNode[][] {
  const parts: TreeNode[][] = [[]];
  for (const n of items) {
    if (nodeIsSymbol(n, ',')) parts.push([]);
    else parts[parts.length - 1]!.push(n);
  }
  return parts.map(wrap);
}

/** `nodes` in parentheses unless they are one node. */
function wrap(nodes: TreeNode[]): TreeNode[] {
  if (nodes.length <= 1) return nodes;
  return [rawToken('(', startOf(nodes[0]!)), ...nodes, rawToken(')', endOf(nodes[nodes.length - 1]!))];
}

function endsOperand(n: TreeNode): boolean {
  if (isGroup(n)) return true;
  if (n.kind === 'word') return !NOT_OPERAND.has(n.text.toUpperCase());
  return n.kind !== 'symbol' || n.text === ')' || n.text === ']';
}

class ExpressionParser {
  pos: number;

  constructor(
    private readonly items: readonly TreeNode[],
    start: number,
    private readonly locate: Locate,
  ) {
    this.pos = start;
  }

  /** Precedence climbing over levels `1..maxLevel`. */
  expression(maxLevel: number): Expr | undefined {
    let left = this.operand();
    if (!left) return undefined;
    for (;;) {
      const op = opOf(this.items[this.pos]);
      if (op === undefined || LEVEL[op]! > maxLevel) return left;
      const opToken = this.items[this.pos] as Token;
      const save = this.pos;
      this.pos++;
      const right = this.expression(LEVEL[op]! - 1);
      if (!right) {
        this.pos = save;
        return left;
      }
      left = { kind: 'binary', op: opToken, left, right };
    }
  }

  private operand(): Expr | undefined {
    const n = this.items[this.pos];
    if (nodeIsSymbol(n, '-') || nodeIsSymbol(n, '+') || nodeIsSymbol(n, '~')) {
      this.pos++;
      const operand = this.operand();
      if (!operand) {
        this.pos--;
        return undefined;
      }
      return { kind: 'unary', op: n as Token, operand };
    }
    if (!canStartOperand(n)) return undefined;
    return this.primary();
  }

  /** One primary with its postfix parts: calls, `.field`, `[i]`, `::type`, `:path`, OVER … */
  private primary(): Expr {
    const start = this.pos;
    let rewrite = false;
    let nodes: TreeNode[] = [this.items[this.pos++]!];
    for (;;) {
      const n = this.items[this.pos];
      const word = wordOf(n);
      if (isParens(n) && (nodes.length > 1 || !isGroup(nodes[0]))) {
        nodes.push(n);
        this.pos++;
      } else if (isBrackets(n)) {
        nodes.push(n);
        this.pos++;
      } else if (nodeIsSymbol(n, '.') && this.items[this.pos + 1] !== undefined) {
        nodes.push(n, this.items[this.pos + 1]!);
        this.pos += 2;
      } else if (nodeIsSymbol(n, '::') && this.items[this.pos + 1] !== undefined) {
        nodes.push(n, this.items[this.pos + 1]!);
        this.pos += 2;
      } else if (nodeIsSymbol(n, ':') && jsonPathStarts(this.items[this.pos + 1])) {
        const colon = n as Token;
        this.pos++;
        const steps = this.jsonPath(colon);
        nodes = [jsonPathCall(nodes, steps, colon)];
        rewrite = true;
      } else if ((word === 'OVER' || word === 'FILTER') && this.pos > start) {
        nodes.push(n!);
        this.pos++;
        if (this.items[this.pos] !== undefined) nodes.push(this.items[this.pos++]!);
      } else if (word === 'WITHIN' && nodeIsWord(this.items[this.pos + 1], 'GROUP')) {
        nodes.push(n!, this.items[this.pos + 1]!);
        this.pos += 2;
        if (isParens(this.items[this.pos])) nodes.push(this.items[this.pos++]!);
      } else return { kind: 'nodes', nodes, rewrite };
    }
  }

  /** The path of `x:path`: `a`, `` `a b` ``, `['k']`, `[0]`, then `.a`, `['k']`, `[0]`. */
  private jsonPath(colon: Token): JsonPathStep[] {
    const steps: JsonPathStep[] = [];
    for (let first = true; ; first = false) {
      const n = this.items[this.pos];
      if (isBrackets(n)) {
        steps.push(this.bracketStep(n, colon));
        this.pos++;
        continue;
      }
      const name = first ? n : nodeIsSymbol(n, '.') ? this.items[this.pos + 1] : undefined;
      if (name === undefined || isGroup(name) || (name.kind !== 'word' && name.kind !== 'backtick')) {
        if (first) throw sparkSyntaxError('expected a JSON path after :', colon, this.locate);
        return steps;
      }
      steps.push({ key: name.value, caseSensitive: false });
      this.pos += first ? 1 : 2;
    }
  }

  private bracketStep(g: Group, colon: Token): JsonPathStep {
    const [only, ...rest] = g.items;
    if (only && rest.length === 0 && !isGroup(only)) {
      if (only.kind === 'string' || only.kind === 'dstring') return { key: only.value, caseSensitive: true };
      if (only.kind === 'raw' && /^\d+$/.test(only.text)) return { index: Number(only.text) };
      if (only.kind === 'symbol' && only.text === '*') {
        throw unsupportedSyntax(
          '[*] in a JSON path',
          'the JSON path wildcard [*] is not supported',
          g.open,
          this.locate,
        );
      }
    }
    throw sparkSyntaxError("expected ['key'] or [index] in the JSON path", colon, this.locate);
  }
}

function jsonPathStarts(n: TreeNode | undefined): boolean {
  if (n === undefined) return false;
  if (isBrackets(n)) return true;
  return !isGroup(n) && (n.kind === 'word' || n.kind === 'backtick');
}

/** `__sluice_json_path(<base>, '<steps>')` spanning the base and the path. */
function jsonPathCall(base: readonly TreeNode[], steps: readonly JsonPathStep[], colon: Token): Group {
  const start = startOf(base[0]!);
  const name = rawToken('__sluice_json_path', start);
  const args: TreeNode[] = [
    ...base,
    rawToken(',', colon.start),
    rawToken(sqlString(encodeJsonPath(steps)), colon.start, colon.end),
  ];
  // A group whose open token carries the name: emits `__sluice_json_path ( … )`.
  return {
    kind: 'group',
    open: { ...name, text: '__sluice_json_path(' },
    close: rawToken(')', colon.end),
    items: args,
  };
}

function needsRewrite(e: Expr): boolean {
  switch (e.kind) {
    case 'nodes':
      return e.rewrite;
    case 'unary':
      return e.op.text === '~' || needsRewrite(e.operand);
    case 'binary': {
      const op = opOf(e.op)!;
      if (op !== '+' && op !== '-' && op !== '*') return true;
      return needsRewrite(e.left) || needsRewrite(e.right);
    }
    default:
      return e satisfies never;
  }
}

function exprStart(e: Expr): number {
  if (e.kind === 'nodes') return startOf(e.nodes[0]!);
  if (e.kind === 'unary') return e.op.start;
  return exprStart(e.left);
}

function exprEnd(e: Expr): number {
  if (e.kind === 'nodes') return endOf(e.nodes[e.nodes.length - 1]!);
  if (e.kind === 'unary') return exprEnd(e.operand);
  return exprEnd(e.right);
}

/** The fully parenthesized rewrite of an expression. */
function emit(e: Expr): TreeNode[] {
  switch (e.kind) {
    case 'nodes':
      return [...e.nodes];
    case 'unary':
      return [rawToken('(', e.op.start), e.op, ...emit(e.operand), rawToken(')', exprEnd(e.operand))];
    case 'binary': {
      const op = opOf(e.op)!;
      const call = CALLS[op];
      const start = exprStart(e);
      const end = exprEnd(e);
      if (call) {
        return [
          rawToken(`${call}(`, start),
          ...emit(e.left),
          rawToken(',', e.op.start, e.op.end),
          ...emit(e.right),
          rawToken(')', end),
        ];
      }
      return [rawToken('(', start), ...emit(e.left), e.op, ...emit(e.right), rawToken(')', end)];
    }
    default:
      return e satisfies never;
  }
}
