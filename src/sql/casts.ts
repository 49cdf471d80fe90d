/**
 * Spark casts (`CAST`, `TRY_CAST`, `::`, typed literals, the type-name functions `int(x)`, …)
 * translated to DuckDB expressions that give Spark 4.1's results with ANSI mode on: the same
 * values, NULLs and result types, and an error where Spark raises one.
 *
 * The value's type is usually unknown when a query is compiled (a column of an input), and the
 * right conversion depends on it: `CAST(x AS INT)` truncates a DOUBLE, parses a STRING, reads a
 * TIMESTAMP as seconds. So the translation is a CASE over DuckDB's `typeof(x)` with one branch
 * per kind of value (`cast-conversions.ts`); DuckDB folds `typeof` when it binds the query and
 * keeps only the branch of the actual type, so the dispatch costs nothing when rows are read.
 * A literal or an inner cast has a known type and gets its one branch directly.
 *
 * Where Spark fails, the value is NULL and `coalesce(value, CASE … THEN error('[CODE] …'))`
 * raises the error (TRY_CAST keeps the NULL); `errors/duckdb-errors.ts` reads the code back.
 * A cast Spark refuses at analysis (DATE to INT) is DATATYPE_MISMATCH, one sluice cannot
 * compute exactly UNSUPPORTED_CAST — at compile time when the value's type is known, else when
 * the query runs.
 */
import { SluiceError, type SourceLocation } from '../errors/index.ts';
import { type AstNode, constantText, isNode } from './ast.ts';
import {
  and,
  cast,
  coalesce,
  columnRef,
  concat,
  element,
  fail,
  fn,
  isIn,
  isNull,
  lambda,
  not,
  nul,
  str,
  tryCast,
  when,
} from './cast-ast.ts';
import { type CastEnv, type Conversion, convert, type Failure } from './cast-conversions.ts';
import { CANONICAL } from './cast-text.ts';
import {
  type CastTarget,
  duckTypeOf,
  INTEGRAL_NAMES,
  integralFits,
  kindOfTypeName,
  readTarget,
  type SourceKind,
  STRING_NAMES,
  sparkNameOfDuckType,
  sparkTypeName,
  staticSource,
  TIMESTAMP_NTZ_NAMES,
} from './cast-types.ts';
import { legacyCastMarker } from './legacy-marker-nodes.ts';
import { VOLATILE_FUNCTIONS } from './volatility.ts';

export type { CastTarget } from './cast-types.ts';

/** How a Spark cast is written: `CAST` fails on bad input (ANSI), `TRY_CAST` gives NULL. */
export interface SparkCastOptions {
  readonly tryCast?: boolean;
  /**
   * ANSI mode off: Spark's non-ANSI `CAST` — NULL where ANSI mode raises, integral types narrowed
   * by wrapping, `1.9` read as the integer 1 (see cast-legacy.ts). Ignored by TRY_CAST.
   */
  readonly legacy?: boolean;
  /** Where the cast is written, named in its errors. */
  readonly location?: SourceLocation;
  /**
   * With `legacy`, a cast of a value whose type is unknown (a column) is written as a marker that
   * the query's binding resolves for the one type the value has (legacy-marker-nodes.ts); `atBind`
   * is that resolution (or a query that is never bound): the conversion itself.
   */
  readonly atBind?: boolean;
}

/** Runtime tests of `typeof(x)`, one per kind, in dispatch order (`other` is the ELSE). */
const KIND_TESTS: readonly (readonly [SourceKind, (t: AstNode) => AstNode])[] = [
  ['null', (t) => isIn(t, [str('"NULL"')])],
  ['string', (t) => isIn(t, STRING_NAMES.map(str))],
  ['boolean', (t) => isIn(t, [str('BOOLEAN')])],
  ['integral', (t) => isIn(t, INTEGRAL_NAMES.map(str))],
  ['decimal', (t) => and(fn('starts_with', t, str('DECIMAL(')), not(fn('ends_with', t, str('[]'))))],
  ['double', (t) => isIn(t, [str('DOUBLE')])],
  ['float', (t) => isIn(t, [str('FLOAT')])],
  ['date', (t) => isIn(t, [str('DATE')])],
  ['timestamp', (t) => isIn(t, [str('TIMESTAMP WITH TIME ZONE')])],
  ['timestamp_ntz', (t) => isIn(t, TIMESTAMP_NTZ_NAMES.map(str))],
  ['binary', (t) => isIn(t, [str('BLOB')])],
  ['array', (t) => fn('ends_with', t, str('[]'))],
];

const VOLATILE = new Set(VOLATILE_FUNCTIONS);

/** Spark's words for infinities and NaN (any case) a DOUBLE cast reads. */
const SPECIAL_FRACTIONAL = new Set(['inf', '+inf', 'infinity', '+infinity', '-inf', '-infinity', 'nan']);

/** Spark's date grammar (trimmed text), as `cast-text.ts` writes it for DuckDB. */
const DATE_GRAMMAR = /^[+-]?[0-9]{4,7}(?:-[0-9]{1,2}(?:-[0-9]{1,2}(?:[ T][\s\S]*)?)?)?$/;

/** Spark's timestamp grammar (trimmed text), including a time without a date. */
const TIMESTAMP_GRAMMAR =
  /^(?:[+-]?[0-9]{4,6}(?:-[0-9]{1,2}(?:-[0-9]{1,2}(?:[ T][0-9]{1,2}(?::[0-9]{1,2}(?::[0-9]{1,2}(?:\.[0-9]*)?(?:[^0-9][\s\S]*)?)?)?)?)?)?|T?[0-9]{1,2}:[\s\S]*)$/;

/** 2^(bits-1) of each integral type: its values are in [-range, range). */
const INTEGRAL_RANGE: Record<string, bigint> = {
  TINYINT: 128n,
  SMALLINT: 32768n,
  INTEGER: 2147483648n,
  BIGINT: 9223372036854775808n,
};

function mayBeVolatile(x: AstNode): boolean {
  if (
    x.class === 'FUNCTION' &&
    typeof x.function_name === 'string' &&
    VOLATILE.has(x.function_name.toLowerCase())
  )
    return true;
  return Object.values(x).some((v) =>
    Array.isArray(v)
      ? v.some((e) => typeof e === 'object' && e !== null && !Array.isArray(e) && mayBeVolatile(e as AstNode))
      : typeof v === 'object' && v !== null && mayBeVolatile(v as AstNode),
  );
}

function locationText(location: SourceLocation | undefined): string {
  if (!location) return '';
  return ` (${location.file}:${location.line}${location.column !== undefined ? `:${location.column}` : ''})`;
}

/** One translation of a cast (and the casts of array elements inside it). */
class CastBuilder implements CastEnv {
  readonly at: string;
  private names = 0;

  readonly legacy: boolean;

  constructor(
    private readonly tryMode: boolean,
    private readonly location: SourceLocation | undefined,
    firstName: number,
    legacy: boolean,
  ) {
    this.at = locationText(location);
    this.names = firstName;
    // TRY_CAST gives the same results with ANSI mode on or off.
    this.legacy = legacy && !tryMode;
  }

  fresh(): string {
    return `__sluice_cast_${this.names++}`;
  }

  castAny(x: AstNode, target: CastTarget): AstNode {
    // Inside a branch of a dispatch: a refusal only when that branch runs.
    return this.build(x, target, false);
  }

  /** `body(v)` with `value` evaluated once as `v` (a lambda over a one-element list). */
  readonly bind = (value: AstNode, body: (ref: AstNode) => AstNode): AstNode => {
    if (value.class === 'COLUMN_REF' || value.class === 'CONSTANT') return body(value);
    const name = this.fresh();
    return element(fn('list_transform', fn('list_value', value), lambda(name, body(columnRef(name)))), 1);
  };

  /** `x` cast to `target`, typed as the target's DuckDB type. */
  build(x: AstNode, target: CastTarget, refuseWhenCompiling = true): AstNode {
    x = wholeDoubleAsText(x);
    // A volatile value (`rand()`) is evaluated once: the conversion may read it several times.
    if (mayBeVolatile(x))
      return cast(
        this.bind(x, (v) => this.build(v, target, refuseWhenCompiling)),
        duckTypeOf(target),
      );
    const known = staticSource(x);
    if (known) {
      if (isIdentity(known.kind, known.id, known.type, target)) return cast(x, duckTypeOf(target));
      const literal = this.canonicalLiteral(x, target);
      if (literal) return literal;
      return this.branch(known.kind, x, target, refuseWhenCompiling);
    }
    const kindOf = fn('typeof', x);
    const checks = KIND_TESTS.map(
      ([kind, test]) => [test(kindOf), this.branch(kind, x, target, false)] as const,
    );
    return cast(when(checks, this.branch('other', x, target, false)), duckTypeOf(target));
  }

  /**
   * A text literal in a layout DuckDB's cast reads as Spark does (`DATE '2024-01-31'`, `'10'`):
   * DuckDB's own cast, whose failures are Spark's (CAST_INVALID_INPUT), without the parser.
   */
  private canonicalLiteral(x: AstNode, target: CastTarget): AstNode | undefined {
    const text = x.class === 'CONSTANT' ? constantText(x) : undefined;
    const type =
      x.class === 'CONSTANT' && isNode(x.value) && isNode(x.value.type) ? x.value.type.id : undefined;
    if (text === undefined || type !== 'VARCHAR') return undefined;
    const duck = duckTypeOf(target);
    // Spark trims bytes 0x00–0x20 and 0x7F around text it reads as a number, date or boolean.
    const trimmed = text.replace(/^[\x00-\x20\x7f]+|[\x00-\x20\x7f]+$/g, '');
    const full = (pattern: string) => new RegExp(`^(?:${pattern})$`).test(trimmed);
    // Text Spark cannot read as the type at all: the cast's error (NULL for TRY_CAST).
    const invalid = () =>
      this.tryMode || this.legacy
        ? cast(nul(), duck)
        : fail(
            str(
              `[CAST_INVALID_INPUT] The value '${text}' of the type "STRING" cannot be cast to ` +
                `"${sparkTypeName(target)}" because it is malformed; correct the value, or use try_cast to get NULL instead${this.at}`,
            ),
            duck,
          );
    switch (target.kind) {
      case 'integral': {
        // Non-ANSI, `1.5` and `.` are integers (1, 0): the legacy parser reads them.
        if (!full(CANONICAL.integral)) return this.legacy ? undefined : invalid();
        const range = INTEGRAL_RANGE[target.type]!;
        return BigInt(trimmed) >= -range && BigInt(trimmed) < range ? cast(str(trimmed), duck) : invalid();
      }
      case 'boolean': {
        const word = trimmed.toLowerCase();
        if (['t', 'true', 'y', 'yes', '1'].includes(word)) return cast(str('t'), duck);
        if (['f', 'false', 'n', 'no', '0'].includes(word)) return cast(str('f'), duck);
        return invalid();
      }
      case 'fractional': {
        // Java's grammar after Java's trim (characters up to U+0020), or Spark's special words.
        const java = text.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '');
        if (new RegExp(`^(?:${CANONICAL.number})[fFdD]?$`).test(java))
          return cast(str(java.replace(/[fFdD]$/, '')), duck);
        return SPECIAL_FRACTIONAL.has(java.toLowerCase()) || /^[+-]NaN$/.test(java) ? undefined : invalid();
      }
      case 'date':
      case 'timestamp':
      case 'timestamp_ntz': {
        const canonical = {
          date: CANONICAL.date,
          timestamp: CANONICAL.timestamp,
          timestamp_ntz: CANONICAL.timestampNtz,
        };
        if (full(canonical[target.kind]))
          return this.tryMode || this.legacy ? tryCast(str(trimmed), duck) : cast(str(trimmed), duck);
        const grammar = target.kind === 'date' ? DATE_GRAMMAR : TIMESTAMP_GRAMMAR;
        return grammar.test(trimmed) ? undefined : invalid();
      }
      default:
        return undefined;
    }
  }

  /** The conversion of `x` as a value of `kind`, with Spark's errors. */
  private branch(kind: SourceKind, x: AstNode, target: CastTarget, known: boolean): AstNode {
    const conversion: Conversion = convert(kind, x, target, this);
    const type = duckTypeOf(target);
    switch (conversion.kind) {
      case 'value':
        return cast(this.withFailures(x, conversion.value, conversion.failures, type), type);
      case 'mismatch': {
        // Non-ANSI, Spark allows more casts (a DATE to a number is NULL): not translated.
        const [code, message] = this.legacy
          ? ([
              'LEGACY_MODE_UNSUPPORTED',
              `sluice does not translate a cast of ${kindName(kind, x)} to ${sparkTypeName(target)} with spark.sql.ansi.enabled = false`,
            ] as const)
          : ([
              'DATATYPE_MISMATCH',
              `cannot cast ${kindName(kind, x)} to ${sparkTypeName(target)}: Spark does not allow this cast with ANSI mode on`,
            ] as const);
        if (known) throw this.error(code, message, target);
        return fail(str(`[${code}] ${message}${this.at}`), type);
      }
      case 'unsupported': {
        const message = `${conversion.reason} is not supported by sluice (no exact translation of Spark's cast)`;
        if (known) throw this.error('UNSUPPORTED_CAST', message, target);
        return fail(str(`[UNSUPPORTED_CAST] ${message}${this.at}`), type);
      }
      default: {
        const never: never = conversion;
        return never;
      }
    }
  }

  /** `value`, or Spark's error where it is NULL for a non-NULL `x`. */
  private withFailures(x: AstNode, value: AstNode, failures: readonly Failure[], type: AstNode): AstNode {
    // TRY_CAST and the non-ANSI cast give NULL where ANSI mode raises; `always` failures are
    // values Spark has that sluice does not compute, raised by both.
    const raised = failures.filter((f) => (!this.tryMode && !this.legacy) || f.always === true);
    if (raised.length === 0) return value;
    const checks = raised.map(
      (f) =>
        [
          f.when ?? cast(str('t'), { id: 'BOOLEAN', type_info: null }),
          fail(concat(str(`[${f.code}] `), f.message), type),
        ] as const,
    );
    return coalesce(value, when([[isNull(x), nul()], ...checks]));
  }

  private error(
    code: 'DATATYPE_MISMATCH' | 'UNSUPPORTED_CAST' | 'LEGACY_MODE_UNSUPPORTED',
    message: string,
    target: CastTarget,
  ): SluiceError {
    return new SluiceError(code, message, {
      params: { targetType: sparkTypeName(target) },
      ...(this.location ? { location: this.location } : {}),
    });
  }
}

/**
 * A whole-number DOUBLE literal (`1e10`) as `CAST('10000000000' AS DOUBLE)`: JSON prints its
 * value without a fraction, which DuckDB's plan reader refuses as a DOUBLE.
 */
function wholeDoubleAsText(x: AstNode): AstNode {
  if (x.class !== 'CONSTANT' || typeof x.value !== 'object' || x.value === null || Array.isArray(x.value))
    return x;
  const v = x.value as AstNode;
  const type = v.type as AstNode | null;
  if (!type || (type.id !== 'DOUBLE' && type.id !== 'FLOAT') || typeof v.value !== 'number') return x;
  return Number.isInteger(v.value) ? cast(str(String(v.value)), type) : x;
}

function kindName(kind: SourceKind, x: AstNode): string {
  const known = staticSource(x);
  if (known) return sparkNameOfDuckType(known.id === 'DECIMAL' ? 'DECIMAL' : known.id);
  return kind.toUpperCase();
}

/** Whether a value of `kind` (DuckDB type `id`) is already what Spark's cast to `target` gives. */
function isIdentity(kind: SourceKind, id: string, type: AstNode | undefined, target: CastTarget): boolean {
  switch (target.kind) {
    case 'string':
      return kind === 'string' && id === 'VARCHAR';
    case 'integral':
      return kind === 'integral' && integralFits(id, target.type);
    case 'fractional':
      return (kind === 'double' && target.type === 'DOUBLE') || (kind === 'float' && target.type === 'FLOAT');
    case 'decimal': {
      const info = type && typeof type.type_info === 'object' ? (type.type_info as AstNode | null) : null;
      return kind === 'decimal' && !!info && info.width === target.precision && info.scale === target.scale;
    }
    case 'boolean':
    case 'date':
    case 'timestamp':
    case 'timestamp_ntz':
    case 'binary':
      return kind === kindOfTypeName(duckTypeId(target)) && id === duckTypeId(target);
    case 'array':
    case 'complex':
      return false;
    default: {
      const never: never = target;
      return never;
    }
  }
}

function duckTypeId(t: CastTarget): string {
  return String(duckTypeOf(t).id);
}

/**
 * The Spark cast of `x` (a translated expression) to `target`. Throws DATATYPE_MISMATCH or
 * UNSUPPORTED_CAST when `x`'s type is known and Spark refuses the cast or sluice cannot match it.
 */
export function sparkCast(x: AstNode, target: CastTarget, options: SparkCastOptions = {}): AstNode {
  if (
    options.legacy === true &&
    options.tryCast !== true &&
    options.atBind !== true &&
    !staticSource(x) &&
    !mayBeVolatile(x)
  )
    return legacyCastMarker(x, target, options.location);
  // Lambda parameters of casts inside `x` keep their names: this cast's are numbered after them.
  const used = [...JSON.stringify(x).matchAll(/__sluice_cast_(\d+)/g)].map((m) => Number(m[1]) + 1);
  return new CastBuilder(
    options.tryCast === true,
    options.location,
    Math.max(0, ...used),
    options.legacy === true,
  ).build(x, target);
}

/**
 * Translates a parsed CAST node (children already translated). Casts DuckDB's parser writes
 * itself (no source position: the parts of an interval literal) keep DuckDB's meaning.
 */
export function translateCast(
  node: AstNode,
  locate: (node: AstNode) => SourceLocation | undefined,
  legacy = false,
): AstNode {
  const type = node.cast_type;
  const child = node.child;
  if (typeof type !== 'object' || type === null || Array.isArray(type)) return node;
  if (typeof child !== 'object' || child === null || Array.isArray(child)) return node;
  if (isBooleanLiteral(child as AstNode, type as AstNode)) return node;
  // DuckDB writes `INTERVAL '3' HOUR` as `to_hours(CAST(trunc(CAST('3' AS DOUBLE)) AS INTEGER))`:
  // casts it writes itself (no position of their own, or the position of the literal they
  // convert) keep DuckDB's meaning. A typed literal (`DATE '…'`, no position) is Spark's cast.
  const c = child as AstNode;
  if (!hasPosition(node) && c.class === 'FUNCTION' && !hasPosition(c)) return node;
  if (hasPosition(node) && c.class === 'CONSTANT' && c.query_location === node.query_location) return node;
  const location = locate(hasPosition(node) ? node : (child as AstNode));
  const reading = readTarget(type as AstNode);
  if (reading.kind === 'keep') return node;
  if (reading.kind === 'unsupported') {
    throw new SluiceError('UNSUPPORTED_CAST', `CAST to ${reading.name} is not supported by sluice`, {
      params: { targetType: reading.name },
      ...(location ? { location } : {}),
    });
  }
  const out = sparkCast(child as AstNode, reading.target, {
    tryCast: node.try_cast === true,
    legacy,
    ...(location ? { location } : {}),
  });
  return {
    ...out,
    alias: node.alias ?? '',
    query_location: node.query_location ?? out.query_location ?? null,
  };
}

function hasPosition(node: AstNode): boolean {
  return typeof node.query_location === 'number' && node.query_location < 1e15;
}

/** DuckDB parses `true` / `false` as `CAST('t' AS BOOLEAN)`: a literal, kept as written. */
function isBooleanLiteral(child: AstNode, type: AstNode): boolean {
  if (type.id !== 'BOOLEAN' || child.class !== 'CONSTANT') return false;
  const v = child.value as AstNode | null;
  return !!v && typeof v === 'object' && (v.value === 't' || v.value === 'f');
}
