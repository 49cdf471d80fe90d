/**
 * Spark functions on arrays or maps alike (Spark's `collection_funcs`) and struct constructors.
 * See `index.ts` for how rules work and `build.ts` for shapes: without types, a rule reads what
 * its argument syntactically is, and an unknown one takes the array form (built from list-only
 * DuckDB functions, so a map there fails to bind instead of giving another value).
 */
import { type AstNode, isNode, str } from '../ast.ts';
import {
  cast,
  cmp,
  coalesce,
  dup,
  fn,
  int,
  isNull,
  NULL,
  raise,
  shapeOf,
  structOf,
  when,
  withValues,
} from './build.ts';
import { arity, constant, type FunctionCall, type FunctionRule } from './rules.ts';

/**
 * Spark's size / cardinality / array_size: an INT, NULL for NULL (ANSI mode). With ANSI mode
 * off, size and cardinality of NULL are -1 (`spark.sql.legacy.sizeOfNull`, true by default,
 * applies when ANSI mode is off); array_size stays NULL.
 */
function size(arrayOnly: boolean): FunctionRule {
  return (c) => {
    arity(c, 1);
    const x = c.args[0]!;
    const n = !arrayOnly && shapeOf(x) === 'map' ? fn('cardinality', x) : fn('len', x);
    if (c.legacy === true && !arrayOnly) return cast(coalesce(n, int(-1)), 'INTEGER');
    return cast(n, 'INTEGER');
  };
}

/**
 * element_at / try_element_at: a map key lookup (NULL when missing), or a 1-based array index,
 * negative from the end. Index 0 is an error for both; past the end element_at is an error
 * (ANSI mode) and try_element_at NULL.
 */
function elementAt(tolerant: boolean): FunctionRule {
  return (c) => {
    arity(c, 2);
    const [x, key] = c.args as [AstNode, AstNode];
    const shape = shapeOf(x);
    const keyShape = shapeOf(key);
    if (shape === 'map' || (shape === 'unknown' && keyShape === 'string'))
      return fn('map_extract_value', x, key);
    if (shape !== 'array' && shape !== 'unknown')
      c.unsupported(`${c.name}() of a ${shape} (an array or a map is expected)`);
    return withValues(c.args, (ref) => {
      const [a, i] = [ref(0), ref(1)];
      const n = fn('len', dup(a));
      const outOfRange = cmp('>', fn('abs', dup(i)), n);
      return when(
        [
          [isNull(dup(a)), NULL()],
          [
            cmp('=', dup(i), int(0)),
            raise(
              'INVALID_INDEX_OF_ZERO',
              `${c.name}: the index 0 is invalid; an index shall be either < 0 or > 0 (the first element has index 1)`,
            ),
          ],
          [
            outOfRange,
            // ANSI mode off, element_at is NULL past the end too (index 0 still fails).
            tolerant || c.legacy === true
              ? NULL()
              : raise(
                  'INVALID_ARRAY_INDEX_IN_ELEMENT_AT',
                  'The index ',
                  dup(i),
                  ' is out of bounds. The array has ',
                  fn('len', dup(a)),
                  ' elements. Use try_element_at to tolerate accessing element at invalid index and return NULL instead.',
                ),
          ],
        ],
        fn('list_extract', dup(a), dup(i)),
      );
    });
  };
}

/** Spark's reverse: of an array (list_reverse) or of a string. */
function reverse(c: FunctionCall): AstNode {
  arity(c, 1);
  return shapeOf(c.args[0]!) === 'array' ? fn('list_reverse', c.args[0]!) : fn('reverse', c.args[0]!);
}

/**
 * The field name Spark gives `struct(e)`'s argument: its alias (`e AS name`), a column's or a
 * field's own name, else `col<n>`.
 */
export function structFieldName(arg: AstNode, i: number): string {
  if (str(arg, 'alias')) return str(arg, 'alias');
  if (arg.class === 'COLUMN_REF' && Array.isArray(arg.column_names)) return String(arg.column_names.at(-1));
  if (arg.type === 'STRUCT_EXTRACT' && Array.isArray(arg.children)) {
    const key = arg.children[1];
    const v = isNode(key) && isNode(key.value) ? key.value.value : undefined;
    if (typeof v === 'string') return v;
  }
  return `col${i + 1}`;
}

function struct(c: FunctionCall): AstNode {
  if (c.args.length === 0) c.unsupported('struct() needs at least one field');
  const names = c.args.map(structFieldName);
  if (new Set(names.map((n) => n.toLowerCase())).size !== names.length)
    c.unsupported(`struct() with two fields of the same name (${names.join(', ')})`);
  return structOf(c.args.map((a, i) => [names[i]!, { ...a, alias: '' }] as const));
}

function namedStruct(c: FunctionCall): AstNode {
  if (c.args.length === 0 || c.args.length % 2 !== 0) c.unsupported('named_struct takes name/value pairs');
  const fields: [string, AstNode][] = [];
  for (let i = 0; i < c.args.length; i += 2) fields.push([constant(c, i, 'field name'), c.args[i + 1]!]);
  if (new Set(fields.map(([n]) => n.toLowerCase())).size !== fields.length)
    c.unsupported('named_struct() with two fields of the same name');
  return structOf(fields);
}

/** The collection and struct rules, by lower-cased Spark name. */
export const COLLECTION_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  size: size(false),
  cardinality: size(false),
  array_size: size(true),
  element_at: elementAt(false),
  try_element_at: elementAt(true),
  reverse,
  struct,
  named_struct: namedStruct,
};
