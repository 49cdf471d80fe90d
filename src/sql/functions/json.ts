/**
 * Spark functions: JSON (Spark's `json_funcs`). See `index.ts` for how rules work and
 * `json-text.ts` for how Spark's JSON reading and printing is matched (or refused at run time).
 *
 * - get_json_object: Spark's path syntax (`$.a`, `$['a b']`, `$[0]`) becomes a DuckDB path at
 *   compile time; wildcards (`[*]`, `.*`, Hive-style results) are refused.
 * - from_json: the schema (DDL, a literal or schema_of_json of a literal) becomes a conversion of
 *   each field that checks the JSON type of its value; a value Spark would call a bad record
 *   (wrong type, duplicate key) is a run-time error, never a guess at Spark's partial result.
 *   Options and date / timestamp / decimal / float fields are refused.
 * - to_json: DuckDB's JSON with Spark's rules on top (NULL struct fields left out); the value's
 *   type is checked at run time (typeof), and types whose printed form differs are an error.
 */

import type { DataType } from '../../model/index.ts';
import { type AstNode, constantText, nodes, str } from '../ast.ts';
import { parseSparkColumns, parseSparkType } from '../spark-ddl.ts';
import {
  and,
  at,
  cast,
  castTo,
  cmp,
  colRef,
  type DuckType,
  field,
  fn,
  freshName,
  int,
  isNull,
  lambda,
  letIn,
  NULL,
  not,
  or,
  raise,
  shapeOf,
  structOf,
  text,
  when,
  withValues,
} from './build.ts';
import { inferJsonSchema } from './json-schema.ts';
import {
  duckdbJsonPath,
  isBlank,
  jacksonRejects,
  notContainer,
  printsDifferently,
  rootUnclosed,
  sparkValueText,
  unprintable,
  unreadable,
} from './json-text.ts';
import { arity, constant, type FunctionCall, type FunctionRule } from './rules.ts';

/**
 * Spark's answer for a JSON document `j` (a reference) read with Jackson's leniency for
 * get_json_object-like functions: NULL input or blank → NULL; text DuckDB cannot read → NULL when
 * it does not even open an object or array (when `containerOnly`), else an error; text only
 * Jackson rejects → NULL; else `body`.
 */
export function readDocument(j: () => AstNode, what: string, containerOnly: boolean, body: AstNode): AstNode {
  const unreadableCase: AstNode = containerOnly
    ? when(
        [
          [notContainer(j()), NULL()],
          [rootUnclosed(j), NULL()],
        ],
        unreadable(what),
      )
    : unreadable(what);
  return when(
    [
      [isNull(j()), NULL()],
      [isBlank(j()), NULL()],
      [not(fn('json_valid', j())), unreadableCase],
      [jacksonRejects(j()), NULL()],
    ],
    body,
  );
}

function getJsonObject(c: FunctionCall): AstNode {
  arity(c, 2);
  const pathText = constantText(c.args[1]!);
  if (pathText === undefined) c.unsupported('the JSON path of get_json_object() must be a literal');
  const wildcard = rootWildcard(pathText);
  const path = wildcard ?? duckdbJsonPath(pathText);
  if (path === 'wildcard')
    c.unsupported(`JSON path '${pathText}' uses a wildcard or a quoted name sluice cannot translate`);
  if (path === 'invalid') return cast(NULL(), 'VARCHAR');
  return withValues([c.args[0]!], (ref) => {
    const v = freshName('v', ref(0));
    const value = wildcard
      ? wildcardMatches(colRef(v), pathText !== '$[*]', ref(0))
      : sparkValueText(() => colRef(v), 'get_json_object');
    return readDocument(
      () => ref(0),
      'get_json_object',
      path !== '$',
      cast(letIn(v, fn('json_extract', ref(0), text(path)), value), 'VARCHAR'),
    );
  });
}

/**
 * `$[*]` followed by field names only (`$[*].a.b`) as a DuckDB path; undefined for any other
 * path (other wildcards are refused).
 */
function rootWildcard(path: string): string | undefined {
  const m = /^\$\[\*\]((?:\.[^.[*]+|\['[^'*]+'\])*)$/.exec(path);
  if (!m) return undefined;
  const rest = duckdbJsonPath(`$${m[1]}`);
  return rest === 'invalid' || rest === 'wildcard' ? undefined : `$[*]${rest.slice(1)}`;
}

/**
 * Spark's Hive-style result of a root `[*]` over the matches `list` (DuckDB: a list of JSON):
 * none → NULL, one → that value as JSON (a string keeps its quotes), more → a JSON array of them.
 * A JSON null reached by a field name is no match (`skipNulls`).
 */
function wildcardMatches(list: AstNode, skipNulls: boolean, scope: AstNode): AstNode {
  const e = freshName('m', scope, list);
  const vals = freshName('ms', scope, list);
  const kept = skipNulls
    ? fn('list_filter', list, lambda([e], cmp('<>', cast(colRef(e), 'VARCHAR'), text('null'))))
    : list;
  const joined = fn(
    'concat',
    text('['),
    fn(
      'array_to_string',
      fn('list_transform', colRef(vals), lambda([e], cast(colRef(e), 'VARCHAR'))),
      text(','),
    ),
    text(']'),
  );
  const result = when(
    [
      [cmp('=', fn('len', colRef(vals)), int(0)), cast(NULL(), 'VARCHAR')],
      [cmp('=', fn('len', colRef(vals)), int(1)), cast(at(colRef(vals), int(1)), 'VARCHAR')],
    ],
    joined,
  );
  const out = freshName('text', scope, list);
  return letIn(
    vals,
    kept,
    letIn(out, result, when([[printsDifferently(colRef(out)), unprintable('get_json_object')]], colRef(out))),
  );
}

/** json_array_length / json_object_keys: of the outermost array / object, NULL for anything else. */
function outermost(kind: 'ARRAY' | 'OBJECT'): FunctionRule {
  return (c) => {
    arity(c, 1);
    return withValues(c.args, (ref) => {
      const result =
        kind === 'ARRAY' ? cast(fn('json_array_length', ref(0)), 'INTEGER') : fn('json_keys', ref(0));
      return readDocument(
        () => ref(0),
        c.name,
        true,
        when([[cmp('=', fn('json_type', ref(0)), text(kind)), result]], NULL()),
      );
    });
  };
}

// ---------------------------------------------------------------------------------------------
// from_json

/** The schema argument of from_json: a DDL column list or type (STRUCT / ARRAY / MAP). */
function fromJsonSchema(c: FunctionCall, ddl: string): DataType {
  const trimmed = ddl.trim();
  let type: DataType;
  try {
    type = /^(struct|array|map)\s*</i.test(trimmed)
      ? parseSparkType(trimmed)
      : {
          type: 'struct',
          fields: parseSparkColumns(trimmed).map((col) => ({
            name: col.name,
            type: col.type,
            nullable: true,
            metadata: {},
          })),
        };
  } catch (e) {
    return c.unsupported(`schema '${ddl}' is not a Spark DDL sluice reads (${(e as Error).message})`);
  }
  if (typeof type === 'string') c.unsupported('from_json() needs a STRUCT, ARRAY or MAP schema');
  return type;
}

const JSON_INTEGERS: Record<string, string> = {
  long: 'BIGINT',
  integer: 'INTEGER',
  short: 'SMALLINT',
  byte: 'TINYINT',
};

/** Refuses, at compile time, schema types whose reading sluice does not match exactly. */
function checkReadable(c: FunctionCall, t: DataType): void {
  if (typeof t === 'string') {
    if (t === 'string' || t === 'double' || t === 'boolean' || JSON_INTEGERS[t]) return;
    c.unsupported(
      `from_json() of a ${t.toUpperCase()} field is not supported (Spark's JSON parsing of it is not reproduced exactly)`,
    );
  }
  if (t.type === 'array') {
    checkReadable(c, t.elementType);
    return;
  }
  if (t.type === 'map') {
    if (t.keyType !== 'string') c.unsupported('from_json() of a MAP needs STRING keys');
    checkReadable(c, t.valueType);
    return;
  }
  for (const f of t.fields) {
    if (f.name.includes('"')) c.unsupported(`from_json() field name ${f.name} holds a double quote`);
    checkReadable(c, f.type);
  }
}

function badRecord(what: string): AstNode {
  return raise(
    'SLUICE_JSON_BAD_RECORD',
    `${what}: a JSON value does not match the schema (Spark would read the record as malformed)`,
  );
}

/** Converts JSON value `v()` (DuckDB JSON or NULL) to Spark type `t` as Spark's JSON reader does. */
function convertJson(v: () => AstNode, t: DataType, scope: AstNode[]): AstNode {
  const type = () => fn('json_type', v());
  const is = (...names: string[]) => or(...names.map((n) => cmp('=', type(), text(n))));
  const absent = or(isNull(v()), cmp('=', type(), text('NULL')));
  const typedNull = castTo(NULL(), duckdbType(t));
  const bad = badRecord('from_json');
  let converted: [AstNode, AstNode];
  if (typeof t === 'string') {
    if (t === 'string') return when([[absent, typedNull]], sparkValueText(v, 'from_json'));
    if (t === 'double') converted = [is('BIGINT', 'UBIGINT', 'DOUBLE'), cast(v(), 'DOUBLE')];
    else if (t === 'boolean') converted = [is('BOOLEAN'), cast(v(), 'BOOLEAN')];
    else converted = [is('BIGINT', 'UBIGINT'), cast(v(), JSON_INTEGERS[t]!)];
  } else if (t.type === 'struct') {
    const keys = () => fn('json_keys', v());
    const unique = cmp('=', fn('len', keys()), fn('len', fn('list_distinct', keys())));
    const fields = t.fields.map(
      (f) =>
        [f.name, convertJson(() => fn('json_extract', v(), text(`$."${f.name}"`)), f.type, scope)] as const,
    );
    converted = [and(is('OBJECT'), unique), structOf(fields)];
  } else if (t.type === 'array') {
    const e = freshName('elem', ...scope);
    const inner = [...scope, colRef(e)];
    converted = [
      is('ARRAY'),
      fn(
        'list_transform',
        castTo(v(), { list: 'JSON' }),
        lambda(
          [e],
          convertJson(() => colRef(e), t.elementType, inner),
        ),
      ),
    ];
  } else {
    const e = freshName('entry', ...scope);
    const inner = [...scope, colRef(e)];
    const entries = fn('map_entries', castTo(v(), { map: ['VARCHAR', 'JSON'] }));
    const entry = structOf([
      ['key', field(colRef(e), 'key')],
      ['value', convertJson(() => field(colRef(e), 'value'), t.valueType, inner)],
    ]);
    converted = [is('OBJECT'), fn('map_from_entries', fn('list_transform', entries, lambda([e], entry)))];
  }
  return when([[absent, typedNull], converted], bad);
}

/** The DuckDB type of a Spark type (the from_json subset). */
function duckdbType(t: DataType): DuckType {
  if (typeof t === 'string')
    return t === 'string'
      ? 'VARCHAR'
      : t === 'double'
        ? 'DOUBLE'
        : t === 'boolean'
          ? 'BOOLEAN'
          : JSON_INTEGERS[t]!;
  if (t.type === 'array') return { list: duckdbType(t.elementType) };
  if (t.type === 'map') return { map: ['VARCHAR', duckdbType(t.valueType)] };
  return { struct: t.fields.map((f) => [f.name, duckdbType(f.type)] as const) };
}

function fromJson(c: FunctionCall): AstNode {
  arity(c, 2, 3);
  if (c.args.length === 3) c.unsupported('from_json() options are not supported');
  const ddl = constantText(c.args[1]!);
  if (ddl === undefined)
    c.unsupported('the schema of from_json() must be a literal (or schema_of_json of a literal)');
  const schema = fromJsonSchema(c, ddl);
  checkReadable(c, schema);
  return withValues([c.args[0]!], (ref) => {
    const j = freshName('doc', ref(0));
    const body = convertJson(() => colRef(j), schema, [ref(0), colRef(j)]);
    return when(
      [
        [isNull(ref(0)), NULL()],
        [isBlank(ref(0)), NULL()],
        [or(not(fn('json_valid', ref(0))), jacksonRejects(ref(0), true)), unreadable('from_json')],
        // A bare `null` document is not a record Spark reads as NULL.
        [cmp('=', fn('json_type', ref(0)), text('NULL')), badRecord('from_json')],
      ],
      letIn(j, castTo(ref(0), 'JSON'), body),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// to_json

/** DuckDB type names (typeof) whose JSON text Spark prints the same way (doubles checked per value). */
const PRINTABLE_TYPES = [
  'BOOLEAN',
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'VARCHAR',
  'DATE',
  'DOUBLE',
  'STRUCT',
  'MAP',
];
/** Map key types Spark prints as the key's own text, like DuckDB. */
const PRINTABLE_KEYS = ['VARCHAR', 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT'];

/**
 * Whether a DuckDB type (its typeof text) prints as Spark's to_json prints it: a STRUCT, MAP or
 * list at the top, built only of {@link PRINTABLE_TYPES}, map keys of {@link PRINTABLE_KEYS}.
 * Type words are the words followed by `(`, `)`, `,`, `[` or the end (a field name is followed by
 * a space; quoted names are removed first).
 */
function printableType(type: () => AstNode): AstNode {
  const unnamed = () => fn('regexp_replace', type(), text('"(?:[^"]|"")*"'), text(''), text('g'));
  const words = fn('regexp_extract_all', unnamed(), text('([A-Za-z_][A-Za-z_0-9]*)(?:[(),\\[]|$)'), int(1));
  const keys = fn('regexp_extract_all', unnamed(), text('MAP\\(([A-Za-z_0-9]+)'), int(1));
  const allIn = (list: AstNode, allowed: string[]) =>
    fn('list_has_all', fn('list_value', ...allowed.map((a) => text(a))), list);
  return and(
    fn('regexp_full_match', type(), text('(STRUCT|MAP)\\(.*|.*\\[\\]')),
    allIn(words, PRINTABLE_TYPES),
    allIn(keys, PRINTABLE_KEYS),
  );
}

/** Whether `node` is visibly a `map(…)` whose keys are structs (Spark prints them as `[1]`). */
function hasStructKeys(node: AstNode): boolean {
  if (node.class !== 'FUNCTION' || str(node, 'function_name') !== 'map') return false;
  const keys = nodes(node, 'children')[0];
  return keys !== undefined && nodes(keys, 'children').some((k) => shapeOf(k) === 'struct');
}

function toJson(c: FunctionCall): AstNode {
  arity(c, 1, 2);
  if (c.args.length === 2) c.unsupported('to_json() options are not supported');
  if (hasStructKeys(c.args[0]!)) c.unsupported('to_json() of a map with struct keys is not supported');
  return withValues(c.args, (ref) => {
    const type = () => fn('typeof', ref(0));
    const has = (pattern: string) => fn('regexp_matches', type(), text(pattern));
    const json = () => cast(fn('to_json', ref(0)), 'VARCHAR');
    const printed = when(
      [
        // No structs: NULL elements and map values print as null in both.
        [not(has('STRUCT')), json()],
        // Structs only inside structs (no list of structs `…)[]`, no map): Spark leaves NULL
        // fields out, as a JSON merge patch onto {} does; it leaves arrays as they are.
        [not(has('\\)\\[\\]|MAP\\(')), fn('json_merge_patch', text('{}'), json())],
        // Structs inside arrays or maps: exact only without NULLs.
        [not(fn('json_contains', json(), text('null'))), json()],
      ],
      raise(
        'SLUICE_TO_JSON_NULL_FIELD',
        'to_json: a NULL inside an array or map of structs is not supported (Spark leaves NULL struct fields out)',
      ),
    );
    const name = freshName('json', ref(0));
    return when(
      [
        [isNull(ref(0)), cast(NULL(), 'VARCHAR')],
        [
          not(printableType(type)),
          raise(
            'SLUICE_TO_JSON_TYPE',
            'to_json: the value has a type whose JSON text sluice does not print exactly like Spark (timestamps, decimals, floats, binary, struct map keys)',
          ),
        ],
      ],
      letIn(name, printed, when([[printsDifferently(colRef(name)), unprintable('to_json')]], colRef(name))),
    );
  });
}

/** schema_of_json of a literal, with the one reader option sluice follows. */
function schemaOfJson(c: FunctionCall): AstNode {
  arity(c, 1, 2);
  const options = c.args.length === 2 ? literalOptions(c.args[1]!) : {};
  if (options === undefined) c.unsupported('the options of schema_of_json() must be a map of literals');
  const known = new Set(['allownumericleadingzeros']);
  const unknown = Object.keys(options).filter((k) => !known.has(k.toLowerCase()));
  if (unknown.length > 0) c.unsupported(`schema_of_json() option ${unknown.join(', ')} is not supported`);
  const values = Object.values(options).map((v) => v.toLowerCase());
  if (values.some((v) => v !== 'true' && v !== 'false'))
    c.unsupported('schema_of_json() option values must be true or false');
  const leadingZeros = values.includes('true');
  const schema = inferJsonSchema(constant(c, 0, 'JSON'), { allowNumericLeadingZeros: leadingZeros });
  if (schema === undefined) return c.unsupported('schema_of_json() of text that is not valid JSON');
  return text(schema);
}

/** The JSON rules, by lower-cased Spark name (json_tuple is a generator: generator.ts). */
export const JSON_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  get_json_object: getJsonObject,
  json_array_length: outermost('ARRAY'),
  json_object_keys: outermost('OBJECT'),
  from_json: fromJson,
  to_json: toJson,
  schema_of_json: schemaOfJson,
};

/** The entries of a `map('k', 'v', …)` argument of literals (translated), or undefined. */
function literalOptions(node: AstNode): Record<string, string> | undefined {
  if (node.class !== 'FUNCTION' || str(node, 'function_name') !== 'map') return undefined;
  const [keys, values] = nodes(node, 'children').map((l) => nodes(l, 'children').map(constantText));
  if (!keys || !values || keys.length !== values.length) return undefined;
  const out: Record<string, string> = {};
  for (const [i, k] of keys.entries()) {
    const v = values[i];
    if (k === undefined || v === undefined) return undefined;
    out[k] = v;
  }
  return out;
}
