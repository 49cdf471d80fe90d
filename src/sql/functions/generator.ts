/**
 * Spark's generator functions (Spark's `generator_funcs`): explode, explode_outer, posexplode,
 * posexplode_outer, inline, inline_outer, stack and json_tuple. A generator turns one row into
 * several rows and one select item into several columns, so it cannot be a DuckDB expression on
 * its own: its rule only marks the call ({@link GENERATOR_MARK}, arguments translated), and
 * `sql/generators.ts` replaces the marked select item by DuckDB `unnest` items (see
 * {@link generatorColumns}) — or refuses a generator anywhere else.
 */
import { type AstNode, constantText, functionNode, isNode, str } from '../ast.ts';
import {
  cast,
  cmp,
  colRef,
  dup,
  fn,
  freshName,
  int,
  lambda,
  letIn,
  NULL,
  op,
  raise,
  shapeOf,
  text,
  when,
} from './build.ts';
import { readDocument } from './json.ts';
import { sparkValueText } from './json-text.ts';
import type { FunctionRule } from './rules.ts';

/** The prefix of a marked generator call's function name (`__sluice_generator_explode`). */
export const GENERATOR_MARK = '__sluice_generator_';

/** Spark's generator functions sluice translates. */
export const GENERATOR_NAMES = [
  'explode',
  'explode_outer',
  'posexplode',
  'posexplode_outer',
  'inline',
  'inline_outer',
  'stack',
  'json_tuple',
] as const;

/** One of {@link GENERATOR_NAMES}. */
export type GeneratorName = (typeof GENERATOR_NAMES)[number];

/** The generator a node is the marked call of, or undefined. */
export function markedGenerator(node: AstNode): GeneratorName | undefined {
  if (node.class !== 'FUNCTION') return undefined;
  const name = str(node, 'function_name');
  return name.startsWith(GENERATOR_MARK) ? (name.slice(GENERATOR_MARK.length) as GeneratorName) : undefined;
}

/** The arguments' named forms Spark documents (`explode(collection => …)`, `inline(input => …)`). */
const ARGUMENT_NAMES: Partial<Record<GeneratorName, string>> = {
  explode: 'collection',
  explode_outer: 'collection',
  posexplode: 'collection',
  posexplode_outer: 'collection',
  inline: 'input',
  inline_outer: 'input',
};

/** The generator rules: each marks its call for `sql/generators.ts` to expand. */
export const GENERATOR_FUNCTIONS: Readonly<Record<string, FunctionRule>> = Object.fromEntries(
  GENERATOR_NAMES.map((name): [string, FunctionRule] => [
    name,
    (c) => {
      const named = ARGUMENT_NAMES[name];
      const args = c.args.map((a) => {
        const alias = str(a, 'alias');
        if (alias && alias.toLowerCase() !== named) c.unsupported(`${name}() has no argument named ${alias}`);
        return alias ? { ...a, alias: '' } : a;
      });
      if (named && args.length !== 1) c.unsupported(`${name}() takes one argument, got ${args.length}`);
      return functionNode(GENERATOR_MARK + name, args);
    },
  ]),
);

/** One output column of a generator: its DuckDB select item and its default name. */
export interface GeneratorColumn {
  readonly expr: AstNode;
  readonly name: string | undefined;
}

/** Why a generator call cannot be expanded (a refusal for the caller to raise). */
export interface GeneratorRefusal {
  readonly refused: string;
}

const unnest = (x: AstNode, ...named: AstNode[]): AstNode => functionNode('unnest', [x, ...named]);

/** `x` with a NULL element in place of an empty or NULL list (the `_outer` forms' one row of NULLs). */
function orNullRow(x: AstNode, empty: AstNode): AstNode {
  return when([[cmp('>', empty, int(0)), x]], fn('list_value', NULL()));
}

/**
 * The DuckDB select items a marked generator call expands to, with Spark's column names
 * (`col`, `key`/`value`, `pos`, struct field names, `col0…`, `c0…`); names are undefined where
 * DuckDB's own are Spark's (inline's struct fields).
 */
export function generatorColumns(
  name: GeneratorName,
  args: readonly AstNode[],
): GeneratorColumn[] | GeneratorRefusal {
  const outer = name.endsWith('_outer');
  switch (name) {
    case 'explode':
    case 'explode_outer':
    case 'posexplode':
    case 'posexplode_outer': {
      const x = args[0]!;
      const withPos = name.startsWith('pos');
      const isMap = shapeOf(x) === 'map';
      const size = () => (isMap ? fn('cardinality', dup(x)) : fn('len', dup(x)));
      const list = (l: AstNode) => (outer ? orNullRow(l, size()) : l);
      const pos = () => {
        const [e, i] = [freshName('e', x), freshName('i', x)];
        const positions = fn(
          'list_transform',
          isMap ? fn('map_keys', dup(x)) : dup(x),
          lambda([e, i], cast(op('-', colRef(i), int(1)), 'INTEGER')),
        );
        return { expr: unnest(list(positions)), name: 'pos' };
      };
      const values = isMap
        ? [
            { expr: unnest(list(fn('map_keys', dup(x)))), name: 'key' },
            { expr: unnest(list(fn('map_values', dup(x)))), name: 'value' },
          ]
        : [{ expr: unnest(list(dup(x))), name: 'col' }];
      return withPos ? [pos(), ...values] : values;
    }
    case 'inline':
    case 'inline_outer': {
      const x = args[0]!;
      const depth = { ...int(2), alias: 'max_depth' };
      return [
        { expr: unnest(outer ? orNullRow(dup(x), fn('len', dup(x))) : dup(x), depth), name: undefined },
      ];
    }
    case 'stack':
      return stackColumns(args);
    case 'json_tuple':
      return jsonTupleColumns(args);
  }
}

function stackColumns(args: readonly AstNode[]): GeneratorColumn[] | GeneratorRefusal {
  const n = Number(args[0] ? constantText(args[0]) : undefined);
  if (!Number.isInteger(n) || n < 1)
    return { refused: 'the first argument of stack() must be a positive integer literal' };
  const values = args.slice(1);
  if (values.length === 0) return { refused: 'stack() needs values after the row count' };
  const columns = Math.ceil(values.length / n);
  return Array.from({ length: columns }, (_, j) => {
    const cells = Array.from({ length: n }, (_, r) => values[r * columns + j] ?? NULL());
    return { expr: unnest(fn('list_value', ...cells.map(dup))), name: `col${j}` };
  });
}

/**
 * json_tuple(json, k1, …): one column per key, the key's value at the top of the JSON object as
 * get_json_object prints it; not an object → NULLs; a key present twice (Spark takes the last) →
 * a run-time error.
 */
function jsonTupleColumns(args: readonly AstNode[]): GeneratorColumn[] | GeneratorRefusal {
  if (args.length < 2) return { refused: 'json_tuple() needs a JSON value and at least one field name' };
  const json = args[0]!;
  const keys = args
    .slice(1)
    .map((k) =>
      k.class === 'CONSTANT' && isNode(k.value) && k.value.is_null === true ? null : constantText(k),
    );
  if (keys.some((k) => k === undefined))
    return { refused: 'the field names of json_tuple() must be literals' };
  if (keys.some((k) => k?.includes('"')))
    return { refused: 'a json_tuple() field name holds a double quote' };
  return keys.map((key, i) => {
    const j = freshName('json', json);
    const v = freshName('value', json);
    const doc = () => colRef(j);
    const keysOf = () => fn('json_keys', doc());
    const value =
      key === null || key === undefined
        ? cast(NULL(), 'VARCHAR')
        : when(
            [
              [cmp('<>', fn('json_type', doc()), text('OBJECT')), cast(NULL(), 'VARCHAR')],
              [
                cmp('<>', fn('len', keysOf()), fn('len', fn('list_distinct', keysOf()))),
                raise(
                  'SLUICE_JSON_DUPLICATE_KEY',
                  'json_tuple: the JSON object has a key twice (Spark takes the last one)',
                ),
              ],
            ],
            letIn(
              v,
              fn('json_extract', doc(), text(`$."${key}"`)),
              sparkValueText(() => colRef(v), 'json_tuple'),
            ),
          );
    const expr = readDocument(doc, 'json_tuple', true, value);
    return { expr: letIn(j, dup(json), expr), name: `c${i}` };
  });
}
