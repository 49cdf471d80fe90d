/**
 * Spark's casts of arrays: to STRING (`[1, null, 3]`, each element printed as its own cast
 * prints it) and to another array type (element by element, NULL elements kept). Handled for
 * one-level arrays of numbers, strings, booleans, dates and timestamps, whose element type
 * `typeof` names; others are UNSUPPORTED_CAST.
 */
import { type AstNode, operatorFunction } from './ast.ts';
import { and, coalesce, columnRef, duckType, fn, lambda, listType, str, tryCast, when } from './cast-ast.ts';
import { type CastEnv, type Conversion, unsupportedValue, value } from './cast-env.ts';
import { type CastTarget, INTEGRAL_NAMES, type SourceKind } from './cast-types.ts';

const VARCHAR = duckType('VARCHAR');

/** Element kinds whose arrays `CAST(… AS STRING)` prints, by the `typeof` of the array. */
const ARRAY_ELEMENTS: readonly (readonly [SourceKind, readonly string[]])[] = [
  ['string', ['VARCHAR']],
  ['boolean', ['BOOLEAN']],
  ['integral', INTEGRAL_NAMES],
  ['double', ['DOUBLE']],
  ['float', ['FLOAT']],
  ['date', ['DATE']],
  ['timestamp', ['TIMESTAMP WITH TIME ZONE']],
  ['timestamp_ntz', ['TIMESTAMP']],
];

const ELEMENT_LIST_TYPE: Partial<Record<SourceKind, string>> = {
  string: 'VARCHAR',
  boolean: 'BOOLEAN',
  integral: 'HUGEINT',
  double: 'DOUBLE',
  float: 'FLOAT',
  date: 'DATE',
  timestamp: 'TIMESTAMP WITH TIME ZONE',
  timestamp_ntz: 'TIMESTAMP',
};

/** A one-level array of simple values of `kind` as DuckDB's list of their type. */
function elementList(x: AstNode, kind: SourceKind): AstNode {
  return tryCast(x, listType(duckType(ELEMENT_LIST_TYPE[kind]!)));
}

/** An array cast element by element (Spark casts each element as a value; NULLs stay NULL). */
export function arrayToArray(x: AstNode, element: CastTarget, env: CastEnv): Conversion {
  const kindOf = fn('typeof', x);
  const checks = ARRAY_ELEMENTS.map(([kind, names]) => {
    const e = env.fresh();
    const items = fn(
      'list_transform',
      elementList(x, kind),
      lambda(e, env.castAny(tryCast(columnRef(e), duckType(ELEMENT_LIST_TYPE[kind]!)), element)),
    );
    const isKind = fn('list_contains', fn('list_value', ...names.map((n) => str(`${n}[]`))), kindOf);
    return [isKind, items] as const;
  });
  return value(when(checks), [
    unsupportedValue(
      'sluice casts only arrays of numbers (not DECIMAL), strings, booleans, dates and timestamps element by element',
      env,
    ),
  ]);
}

/**
 * `[text]`, NULL when `text` is (a NULL array casts to NULL in Spark; `concat` would print `[]`).
 */
const bracketed = (text: AstNode): AstNode =>
  operatorFunction('||', [operatorFunction('||', [str('['), text]), str(']')]);

/** `[e1, e2, null]`: a one-level array of simple values, each printed as its own cast prints it. */
export function arrayToText(x: AstNode, env: CastEnv): Conversion {
  const kindOf = fn('typeof', x);
  const checks = ARRAY_ELEMENTS.map(([kind, names]) => {
    const listType = {
      id: 'LIST',
      type_info: {
        type: 'LIST_TYPE_INFO',
        alias: '',
        extension_info: null,
        child_type: duckType(ELEMENT_LIST_TYPE[kind]!),
      },
    };
    const e = env.fresh();
    const items = fn(
      'list_transform',
      tryCast(x, listType),
      lambda(
        e,
        coalesce(
          env.castAny(tryCast(columnRef(e), duckType(ELEMENT_LIST_TYPE[kind]!)), { kind: 'string' }),
          str('null'),
        ),
      ),
    );
    const printed = bracketed(fn('array_to_string', items, str(', ')));
    const isKind = fn('list_contains', fn('list_value', ...names.map((n) => str(`${n}[]`))), kindOf);
    return [isKind, printed] as const;
  });
  const decimalElements = and(
    fn('starts_with', kindOf, str('DECIMAL(')),
    fn('ends_with', kindOf, str(')[]')),
  );
  const e = env.fresh();
  const decimals = bracketed(
    fn(
      'array_to_string',
      fn(
        'list_transform',
        tryCast(x, {
          id: 'LIST',
          type_info: { type: 'LIST_TYPE_INFO', alias: '', extension_info: null, child_type: VARCHAR },
        }),
        lambda(e, coalesce(columnRef(e), str('null'))),
      ),
      str(', '),
    ),
  );
  return value(when([...checks, [decimalElements, decimals]]), [
    unsupportedValue(
      'sluice casts to STRING only arrays of numbers, strings, booleans, dates and timestamps',
      env,
    ),
  ]);
}
