/**
 * Spark's implicit conversions around STRING values with ANSI mode on, where DuckDB's differ:
 *
 * - a comparison between a STRING and another type (`id = '42'`, `code > 5`, `day = '2024-1-5'`)
 *   compares both as the other side's type — BIGINT for any integral type, DOUBLE for FLOAT and
 *   DOUBLE, else that type — converting the string with Spark's cast (`'5.5'` compared with an
 *   INT column fails with CAST_INVALID_INPUT; DuckDB reads it as 6, or refuses a VARCHAR column
 *   against a number);
 * - `a || b` with a STRING side is `concat`: the other side is converted to text as Spark's cast
 *   prints it (`1.0E20`, `2024-01-01 10:00:00`; DuckDB writes `1e+20`, `…+00`).
 *
 * Types unknown when the query is compiled are read with `typeof` as the casts do (`casts.ts`).
 * Comparisons where neither side is known to be a STRING are DuckDB's own.
 */
import type { SourceLocation } from '../errors/index.ts';
import type { AstNode } from './ast.ts';
import { comparison } from './ast.ts';
import { and, concat, duckType, fail, fn, isIn, isNull, ne, not, str, tryCast, when } from './cast-ast.ts';
import { decimalText } from './cast-text.ts';
import {
  INTEGRAL_NAMES,
  type SourceKind,
  STRING_NAMES,
  staticSource,
  TIMESTAMP_NTZ_NAMES,
} from './cast-types.ts';
import { type CastTarget, sparkCast } from './casts.ts';

type Locate = (node: AstNode) => SourceLocation | undefined;

function locationText(location: SourceLocation | undefined): string {
  return location
    ? ` (${location.file}:${location.line}${location.column !== undefined ? `:${location.column}` : ''})`
    : '';
}

const BIGINT: CastTarget = { kind: 'integral', type: 'BIGINT' };
const DOUBLE: CastTarget = { kind: 'fractional', type: 'DOUBLE' };

/** The type both sides of a comparison with a STRING are compared as (Spark's string promotion). */
function promotedType(kind: SourceKind, decimal?: AstNode): CastTarget | undefined {
  switch (kind) {
    case 'integral':
      return BIGINT;
    case 'float':
    case 'double':
      return DOUBLE;
    case 'decimal': {
      const info = decimal && typeof decimal.type_info === 'object' ? (decimal.type_info as AstNode) : null;
      if (!info || typeof info.width !== 'number' || typeof info.scale !== 'number') return undefined;
      return { kind: 'decimal', precision: info.width, scale: info.scale };
    }
    case 'date':
      return { kind: 'date' };
    case 'timestamp':
      return { kind: 'timestamp' };
    case 'timestamp_ntz':
      return { kind: 'timestamp_ntz' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'binary':
      return { kind: 'binary' };
    default:
      return undefined;
  }
}

const isString = (x: AstNode) => staticSource(x)?.kind === 'string';

/**
 * A COMPARISON node (operands translated) with Spark's promotion of its STRING side. Kept as
 * it is unless exactly one side is known to be a STRING.
 */
export function translateComparison(node: AstNode, locate: Locate): AstNode {
  const left = node.left as AstNode | null;
  const right = node.right as AstNode | null;
  if (!left || !right || typeof left !== 'object' || typeof right !== 'object') return node;
  const leftText = isString(left);
  const rightText = isString(right);
  if (leftText === rightText) return leftText ? node : againstKnownType(node, left, right, locate);
  const [text, other] = leftText ? [left, right] : [right, left];
  const location = locate(text) ?? locate(node);
  const options = location ? { location } : {};
  const compare = (otherSide: AstNode, textSide: AstNode): AstNode => {
    const out = leftText
      ? comparison(String(node.type), textSide, otherSide)
      : comparison(String(node.type), otherSide, textSide);
    return { ...out, query_location: node.query_location ?? out.query_location ?? null };
  };
  // The result keeps the alias the user gave the comparison; its parts have none.
  const named = (x: AstNode): AstNode => ({ ...x, alias: node.alias ?? '' });
  const known = staticSource(other);
  if (known) {
    const target = promotedType(known.kind, known.type);
    if (!target) return node;
    return named(compare(sparkCast(other, target, options), sparkCast(text, target, options)));
  }
  // The other side's type is read when the query runs: one comparison per kind of value.
  const kindOf = fn('typeof', other);
  const branch = (target: CastTarget, handle: AstNode) =>
    compare(sparkCast(handle, target, options), sparkCast(text, target, options));
  const checks: [AstNode, AstNode][] = [
    [isIn(kindOf, INTEGRAL_NAMES.map(str)), branch(BIGINT, tryCast(other, duckType('BIGINT')))],
    [isIn(kindOf, [str('FLOAT'), str('DOUBLE')]), branch(DOUBLE, tryCast(other, duckType('DOUBLE')))],
    [isIn(kindOf, [str('DATE')]), branch({ kind: 'date' }, tryCast(other, duckType('DATE')))],
    [
      isIn(kindOf, [str('TIMESTAMP WITH TIME ZONE')]),
      branch({ kind: 'timestamp' }, tryCast(other, duckType('TIMESTAMP WITH TIME ZONE'))),
    ],
    [
      isIn(kindOf, TIMESTAMP_NTZ_NAMES.map(str)),
      branch({ kind: 'timestamp_ntz' }, tryCast(other, duckType('TIMESTAMP'))),
    ],
    [isIn(kindOf, [str('BOOLEAN')]), branch({ kind: 'boolean' }, tryCast(other, duckType('BOOLEAN')))],
  ];
  // A DECIMAL column: DuckDB converts the text to the column's own DECIMAL type, rounding half
  // up as Spark does; its reading of the text must be Spark's, so text Spark rejects fails.
  const malformed = fail(
    concat(
      str("[CAST_INVALID_INPUT] The value '"),
      tryCast(text, duckType('VARCHAR')),
      str(
        `' of the type "STRING" cannot be cast to a DECIMAL because it is malformed${locationText(location)}`,
      ),
    ),
    duckType('BOOLEAN'),
  );
  checks.push([
    and(fn('starts_with', kindOf, str('DECIMAL(')), not(fn('ends_with', kindOf, str('[]')))),
    when(
      [
        [isNull(text), compare(other, text)],
        [ne(decimalText(tryCast(text, duckType('VARCHAR'))), str('')), compare(other, text)],
      ],
      malformed,
    ),
  ]);
  return named(when(checks, compare(other, text)));
}

/**
 * `a || b` (operands translated): with a STRING side it is Spark's `concat`, every other operand
 * converted to text as Spark's cast prints it. Kept as it is otherwise (arrays concatenate).
 */
export function translateConcatOperator(node: AstNode, locate: Locate, legacy = false): AstNode {
  const args = Array.isArray(node.children) ? (node.children as AstNode[]) : [];
  if (args.length !== 2 || !args.some(isString)) return node;
  if (args.some((a) => staticSource(a)?.kind === 'array')) return node;
  const location = locate(node);
  const children = args.map((a) =>
    isString(a) ? a : sparkCast(a, { kind: 'string' }, { legacy, ...(location ? { location } : {}) }),
  );
  return { ...node, children };
}

/** `x` (a translated expression of any type) as text, as Spark's `CAST(x AS STRING)` prints it. */
export function sparkToText(x: AstNode, legacy = false): AstNode {
  return isString(x) ? x : sparkCast(x, { kind: 'string' }, { legacy });
}

/**
 * `left OP right` where neither side is known to be a STRING: when one side's type is known
 * (a literal) and the other's is not, the other may be a STRING column, which Spark reads as
 * the known side's (promoted) type. Both sides unknown: DuckDB's comparison.
 */
function againstKnownType(node: AstNode, left: AstNode, right: AstNode, locate: Locate): AstNode {
  const leftKnown = staticSource(left);
  const rightKnown = staticSource(right);
  if (!leftKnown === !rightKnown) return node;
  const [known, other] = leftKnown ? [leftKnown, right] : [rightKnown!, left];
  const target = promotedType(known.kind, known.type);
  if (!target) return node;
  const location = locate(other) ?? locate(node);
  const options = location ? { location } : {};
  const text = tryCast(other, duckType('VARCHAR'));
  const promoted = comparison(
    String(node.type),
    leftKnown ? sparkCast(left, target, options) : sparkCast(text, target, options),
    leftKnown ? sparkCast(text, target, options) : sparkCast(right, target, options),
  );
  // Otherwise DuckDB's comparison — which must still bind when `other` is a text column, the case
  // above. (Only a column: DuckDB resolves the macro's overload wrongly around an aggregate.)
  const unlessText = (x: AstNode) => (x.class === 'COLUMN_REF' ? fn('sluice_unless_text', x) : x);
  const own = comparison(
    String(node.type),
    leftKnown ? left : unlessText(left),
    leftKnown ? unlessText(right) : right,
  );
  const out = when([[isIn(fn('typeof', other), STRING_NAMES.map(str)), promoted]], {
    ...own,
    query_location: node.query_location ?? null,
  });
  return { ...out, alias: node.alias ?? '', query_location: node.query_location ?? null };
}
