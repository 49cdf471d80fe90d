import { sqlString } from '../util/index.ts';
import { intervalValueText, parseIntervalAt } from './spark-intervals.ts';
import { parseSparkTypeAt } from './spark-types.ts';
import { type Locate, sparkSyntaxError, unsupportedSyntax } from './syntax-errors.ts';
import { rawToken } from './token-tree.ts';
import { isSymbol, isWord, type Token } from './tokenizer.ts';

/**
 * The first, flat pre-pass: Spark literals, data types and single-token operators rewritten
 * into tokens DuckDB reads the same way. After it every literal and every type is one token:
 *
 * - adjacent string literals are one string (`'a' 'b'` is `'ab'`);
 * - typed literals: `DATE '…'`, `TIMESTAMP '…'` (an instant), `TIMESTAMP_NTZ '…'`, `TIME '…'`
 *   become casts; `X'…'` a binary constant; `INTERVAL …` (spark-intervals.ts) an interval;
 * - numbers keep Spark's types: `10L`, `1S`, `1Y`, `1.5D`, `1F` and `1.50BD` (DECIMAL(3, 2)) are
 *   typed constants, and so are decimals whose DuckDB type would be wider than Spark's (`0.5` is
 *   DECIMAL(1, 1) in Spark, DECIMAL(2, 1) in DuckDB) and integers too large for BIGINT (DECIMAL);
 * - the type of `CAST(x AS t)`, `TRY_CAST(x AS t)` and `x::t` is the DuckDB type (spark-types.ts);
 * - `!` is NOT, `!<` is `>=`, `!>` is `<=`, `==` is `=`.
 */
export function rewriteLiterals(tokens: readonly Token[], locate: Locate): Token[] {
  const out: Token[] = [];
  /** Per open parenthesis: whether it is a CAST's / TRY_CAST's. */
  const parens: boolean[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const prev = tokens[i - 1];
    if (isSymbol(t, '(')) parens.push(isWord(prev, 'CAST') || isWord(prev, 'TRY_CAST'));
    else if (isSymbol(t, ')')) parens.pop();
    if ((isWord(t, 'AS') && parens[parens.length - 1] === true) || isSymbol(t, '::')) {
      out.push(t);
      const type = parseSparkTypeAt(tokens, i + 1, locate);
      const last = tokens[type.end - 1]!;
      out.push(rawToken(type.duckdb, tokens[i + 1]!.start, last.end));
      i = type.end - 1;
      continue;
    }
    if (t.kind === 'string' || t.kind === 'dstring') {
      let j = i;
      let value = t.value;
      while (tokens[j + 1]?.kind === 'string' || tokens[j + 1]?.kind === 'dstring')
        value += tokens[++j]!.value;
      out.push(j === i ? t : { kind: 'string', text: t.text, value, start: t.start, end: tokens[j]!.end });
      i = j;
      continue;
    }
    if (t.kind === 'number') {
      // Spark reads a sign in front of a number as part of the literal (`-128Y` is a TINYINT).
      if (isSymbol(prev, '-') && unaryAt(tokens, i - 1)) {
        out.pop();
        const signed = { ...t, text: `-${t.text}`, start: prev!.start };
        out.push(rawToken(numberLiteral(signed, locate), prev!.start, t.end));
      } else out.push(rawToken(numberLiteral(t, locate), t.start, t.end));
      continue;
    }
    if (t.kind === 'symbol') {
      out.push(operatorToken(t, locate));
      continue;
    }
    if (t.kind !== 'word' || isSymbol(prev, '.')) {
      out.push(t);
      continue;
    }
    if (isWord(t, 'INTERVAL')) {
      const interval = parseIntervalAt(tokens, i, locate);
      if (interval) {
        const raw = rawToken(interval.text, t.start, tokens[interval.end - 1]!.end);
        // A watermark delay (`DELAY OF INTERVAL …`) keeps its value for the clause pre-pass.
        const delay = isWord(tokens[i - 1], 'OF') && isWord(tokens[i - 2], 'DELAY');
        out.push(delay ? { ...raw, value: intervalValueText(interval.value) } : raw);
        i = interval.end - 1;
        continue;
      }
    }
    const next = tokens[i + 1];
    if (next && (next.kind === 'string' || next.kind === 'dstring')) {
      // A typed literal takes exactly one string (no concatenation).
      const literal = typedLiteral(t, next, locate);
      if (literal !== undefined) {
        out.push(rawToken(literal, t.start, next.end));
        i++;
        continue;
      }
    }
    out.push(t);
  }
  return out;
}

function operatorToken(t: Token, locate: Locate): Token {
  switch (t.text) {
    case '!':
      return { ...t, kind: 'word', text: 'NOT', value: 'NOT' };
    case '!<':
      return { ...t, text: '>=', value: '>=' };
    case '!>':
      return { ...t, text: '<=', value: '<=' };
    case '==':
      return { ...t, text: '=', value: '=' };
    case '|>':
      throw unsupportedSyntax('|>', 'SQL pipe syntax (|>) is not supported', t, locate);
    default:
      return t;
  }
}

/** Keywords after which a `-` is a sign, not a subtraction. */
const BEFORE_OPERAND = new Set([
  'SELECT',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'WHEN',
  'THEN',
  'ELSE',
  'BY',
  'ON',
  'HAVING',
  'IN',
  'BETWEEN',
  'LIMIT',
  'OFFSET',
  'RETURN',
  'DISTINCT',
  'ALL',
  'VALUES',
  'CASE',
  'IS',
  'LIKE',
  'ILIKE',
  'RLIKE',
  'QUALIFY',
]);

/** Whether the token at `i` (a `-` or `+`) stands where an operand begins: a sign. */
function unaryAt(tokens: readonly Token[], i: number): boolean {
  const before = tokens[i - 1];
  if (!before) return true;
  if (before.kind === 'symbol') return before.text !== ')' && before.text !== ']';
  if (before.kind === 'word') return BEFORE_OPERAND.has(before.text.toUpperCase());
  return false;
}

const SPECIAL_DATES = new Set(['epoch', 'now', 'today', 'yesterday', 'tomorrow']);

/** `DATE '…'` and the other typed literals as DuckDB text, or undefined when `word` types none. */
function typedLiteral(word: Token, str: Token, locate: Locate): string | undefined {
  const type = word.text.toUpperCase();
  const duckdb: Record<string, string> = {
    DATE: 'DATE',
    TIMESTAMP: 'TIMESTAMP WITH TIME ZONE',
    TIMESTAMP_LTZ: 'TIMESTAMP WITH TIME ZONE',
    TIMESTAMP_NTZ: 'TIMESTAMP_NTZ',
    TIME: 'TIME',
  };
  if (type === 'X') return binaryLiteral(word, str, locate);
  const target = duckdb[type];
  if (!target) return undefined;
  let value = str.value;
  const special = value.trim().toLowerCase();
  if (target !== 'TIME' && SPECIAL_DATES.has(special)) {
    if (special !== 'epoch') {
      throw unsupportedSyntax(
        `${type} '${special}'`,
        `the special value ${type} '${special}' is not supported (use current_date() or current_timestamp())`,
        word,
        locate,
      );
    }
    value =
      target === 'DATE'
        ? '1970-01-01'
        : target === 'TIMESTAMP_NTZ'
          ? '1970-01-01 00:00:00'
          : '1970-01-01 00:00:00+00';
  }
  return `CAST(${sqlString(value)} AS ${target})`;
}

/** `X'0A1B'`: a BINARY constant (an odd digit count reads a leading 0, as Spark does). */
function binaryLiteral(word: Token, str: Token, locate: Locate): string {
  if (!/^[0-9a-fA-F]*$/.test(str.value)) {
    throw sparkSyntaxError(
      `'${str.value}' is not a hexadecimal binary literal`,
      { start: word.start, text: `X'${str.value}'` },
      locate,
    );
  }
  return `__sluice_binary_literal(${sqlString(str.value)})`;
}

/**
 * A literal of a known type: `__sluice_literal(value, 'TYPE')`, a DuckDB cast the translation
 * writes after Spark's casts are translated (the value always fits, so no check is needed).
 */
function typed(value: string, type: string): string {
  // The parse tree reaches sluice as JSON, where numbers beyond 2^53 lose digits: long ones
  // travel as text.
  const long = value.replace(/[^0-9]/g, '').replace(/^0+/, '').length > 15;
  return `__sluice_literal(${long ? sqlString(value) : value}, ${sqlString(type)})`;
}

const INTEGER_SUFFIX: Readonly<Record<string, { type: string; max: bigint }>> = {
  L: { type: 'BIGINT', max: 2n ** 63n - 1n },
  S: { type: 'SMALLINT', max: 32767n },
  Y: { type: 'TINYINT', max: 127n },
};

/**
 * A number token's DuckDB text with Spark's literal type (see the module comment). `negative`:
 * a minus sign precedes it, which widens the range of `128Y`-style literals by one.
 */
export function numberLiteral(t: Token, locate: Locate): string {
  const negative = t.text.startsWith('-');
  const m = /^-?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?(BD|[LSYDF])?$/i.exec(t.text);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return t.text;
  const [, whole = '', fraction, exponent, rawSuffix] = m;
  const suffix = rawSuffix?.toUpperCase();
  const number = t.text.slice(0, t.text.length - (rawSuffix?.length ?? 0));
  const invalid = (why: string) => sparkSyntaxError(`numeric literal ${t.text} ${why}`, t, locate);
  if (suffix === 'L' || suffix === 'S' || suffix === 'Y') {
    if (fraction !== undefined || exponent !== undefined) throw invalid('must be an integer');
    const { type, max } = INTEGER_SUFFIX[suffix]!;
    if (BigInt(whole) > max + (negative ? 1n : 0n)) throw invalid(`does not fit in ${type}`);
    return typed(`${negative ? '-' : ''}${whole}`, type);
  }
  // A literal with an exponent is a DOUBLE in DuckDB, parsed from the digits as Java does.
  const asDouble = exponent === undefined ? `${number}e0` : number;
  if (suffix === 'D') return typed(asDouble, 'DOUBLE');
  if (suffix === 'F') return typed(asDouble, 'FLOAT');
  if (exponent !== undefined) {
    if (suffix === 'BD') {
      throw unsupportedSyntax(
        'BD literal with an exponent',
        `the decimal literal ${t.text} (with an exponent) is not supported`,
        t,
        locate,
      );
    }
    // DuckDB writes a whole DOUBLE back as `100.0`, which it would read as a DECIMAL.
    return typed(number, 'DOUBLE');
  }
  const digits = `${whole}${fraction ?? ''}`;
  const significant = digits.replace(/^0+/, '').length;
  const scale = (fraction ?? '').length;
  const precision = Math.max(significant, scale, 1);
  if (suffix === 'BD' || fraction !== undefined) {
    if (precision > 38) throw invalid('has more than 38 digits');
    // DuckDB types a decimal literal by the digits written; Spark by the significant ones.
    const duckdbWidth = Math.max(digits.length, 1);
    if (suffix !== 'BD' && duckdbWidth === precision && significant <= 15) return t.text;
    return typed(number, `DECIMAL(${precision}, ${scale})`);
  }
  const value = BigInt(whole);
  if (value > 2n ** 63n - (negative ? 0n : 1n)) {
    if (precision > 38) throw invalid('has more than 38 digits');
    return typed(number, `DECIMAL(${precision}, 0)`);
  }
  if (value > 2n ** 53n) return typed(number, 'BIGINT');
  return t.text;
}
