import type { XmlReadOptions } from '../../sql/index.ts';
import { type DuckType, parseDuckType, sqlString } from '../../util/index.ts';
import type { FileSchema } from './file-schema.ts';
import { attributeText, decode, rowsSql, textValue, WS } from './file-xml-rows.ts';
import { classSql, entryValue } from './file-xml-values.ts';

/**
 * Row elements with nested child elements (see `file-xml.ts`) as JSON built in DuckDB SQL from
 * the row's tokens (its content split at `<`, as `rowsSql` does) with list functions only — one
 * string per row, no per-row JavaScript. Each token maps to a JSON fragment that depends on the
 * token and its neighbours only (a start tag opens an object, an end tag closes it), so the
 * nesting of the JSON is the nesting of the elements. What is built assumes the row passed the
 * checks: well-formed, properly nested tags (checked on the shape JSON), no text mixed with child
 * elements (the text of an element with children is blank and not kept), no comment in a value.
 *
 * Two encodings:
 * - the shape (`shapeJsonSql`), for schema inference and the nesting checks: an element is a
 *   member `"/name": {"#": class, "@attr": class, …, "/child": {…}, …, "$": "endname"}` of its
 *   parent's object (names repeat as members: `json_tree` keeps them, and its `fullkey` is the
 *   element's path of names, unambiguous since names hold no `/`); values are held as their
 *   inference class (`blank` for an empty or blank text), so rows of one structure and classes
 *   have the same shape and are typed once; `#` is null for an element with children, `$` (the
 *   end tag's name) absent for a self-closing element;
 * - the tree (`treeJsonSql`), for reading: `{"n": name, "a": [{"k", "v"}…],
 *   "t": text, "c": [children…]}`, cast once per row by `json_transform` to nested DuckDB lists
 *   and structs as deep as the schema needs (`treeStructure`).
 */

/** A token's tag text (up to its first `>`). */
const tagOf = (x: string) => `split_part(${x}, '>', 1)`;
const isEnd = (x: string) => `(${x} ^@ '/')`;
const isSelf = (x: string) => `suffix(${tagOf(x)}, '/')`;
/** The name of a start tag token / of an end tag token. */
const nameOf = (x: string) => `regexp_extract(${x}, '^[^\\s/>]+')`;
const endNameOf = (x: string) => `regexp_extract(${x}, '^/([^\\s>]+)', 1)`;
/** The decoded text after a token's tag. */
const textOf = (x: string) => textValue(`substr(${x}, strpos(${x}, '>') + 1)`);
/** Whether token `i` of `k` is a start tag whose next token is an end tag (an element without children). */
const isLeaf = (k: string, i: string) => `COALESCE(${k}[${i} + 1] ^@ '/', false)`;
/** One attribute: name (group 1), quoted value (group 2). */
const ATTR_RE = sqlString(`([^\\s=/<>]+)\\s*=\\s*("[^"]*"|'[^']*')`);

/** JSON members `,"@name":"value"` of the attributes in tag text `tag` ('' with excludeAttribute). */
function shapeAttributes(tag: string, xml: XmlReadOptions, classes: boolean): string {
  if (xml.excludeAttribute) return `''`;
  const names = `regexp_extract_all(${tag}, ${ATTR_RE}, 1)`;
  const values = `regexp_extract_all(${tag}, ${ATTR_RE}, 2)`;
  const cls = classes ? valueClass(decode(attributeText(`${values}[j]`)), xml, 1) : `''`;
  return `CASE WHEN contains(${tag}, '=') THEN array_to_string(list_transform(${names}, (n, j) -> ',"@' || n || '":' || to_json(${cls})::VARCHAR), '') ELSE '' END`;
}

/**
 * The inference class of value `v` (`classSql` of it as `entryValue` reads it; `ambiguous:` and
 * the value for a value of unknown type), bound once through a one-element list.
 */
function valueClass(v: string, xml: XmlReadOptions, depth: number): string {
  const b = `__v${depth}`;
  return `list_transform([${entryValue(v, 'false', xml, false)}], ${b} -> ${classSql(b, `'ambiguous:' || ${b}`)})[1]`;
}

/** A leaf element's text `t` as the shape holds it: `blank` (empty or whitespace), else its `valueClass`. */
function textClass(t: string, xml: XmlReadOptions): string {
  return `list_transform([${t}], __t0 -> CASE WHEN trim(__t0, ${WS}) = '' THEN 'blank' ELSE ${valueClass('__t0', xml, 0)} END)[1]`;
}

/**
 * The shape JSON of a row of `tokenRowsSql` (see the module comment), as VARCHAR; without
 * `classes`, every value is `''` (the structure alone: far fewer distinct shapes, built faster).
 */
export function shapeJsonSql(xml: XmlReadOptions, classes = true): string {
  const leafText = classes ? textClass(textOf('x'), xml) : `''`;
  const fragment =
    `CASE WHEN ${isEnd('x')} THEN ',"$":"' || ${endNameOf('x')} || '"}' ` +
    `WHEN ${isSelf('x')} THEN ',"/' || ${nameOf('x')} || '":{"#":"blank"' || ${shapeAttributes(tagOf('x'), xml, classes)} || '}' ` +
    `ELSE ',"/' || ${nameOf('x')} || '":{"#":' || CASE WHEN ${isLeaf('__k', 'i')} THEN to_json(${leafText})::VARCHAR ELSE 'null' END ` +
    `|| ${shapeAttributes(tagOf('x'), xml, classes)} END`;
  return (
    `'{"#":null' || ${shapeAttributes('__a', xml, classes)} || ` +
    `array_to_string(list_transform(__k, (x, i) -> ${fragment}), '') || '}'`
  );
}

/** JSON array of `{"k", "v"}` for the attributes in tag text `tag`. */
function treeAttributes(tag: string, xml: XmlReadOptions): string {
  if (xml.excludeAttribute) return `'[]'`;
  const names = `regexp_extract_all(${tag}, ${ATTR_RE}, 1)`;
  const values = `regexp_extract_all(${tag}, ${ATTR_RE}, 2)`;
  return `CASE WHEN contains(${tag}, '=') THEN '[' || array_to_string(list_transform(${names}, (n, j) -> '{"k":"' || n || '","v":' || to_json(${decode(attributeText(`${values}[j]`))})::VARCHAR || '}'), ',') || ']' ELSE '[]' END`;
}

/** The tree JSON of a row of `tokenRowsSql` (see the module comment), as VARCHAR. */
export function treeJsonSql(xml: XmlReadOptions): string {
  const comma = `CASE WHEN i > 1 AND (${isEnd('__k[i - 1]')} OR ${isSelf('__k[i - 1]')}) THEN ',' ELSE '' END`;
  const open = (x: string) => `'{"n":"' || ${nameOf(x)} || '","a":' || ${treeAttributes(tagOf(x), xml)}`;
  const fragment =
    `CASE WHEN ${isEnd('x')} THEN ']}' ` +
    `WHEN ${isSelf('x')} THEN ${comma} || ${open('x')} || ',"t":"","c":[]}' ` +
    `ELSE ${comma} || ${open('x')} || ',"t":' || CASE WHEN ${isLeaf('__k', 'i')} THEN to_json(${textOf('x')})::VARCHAR ELSE 'null' END || ',"c":[' END`;
  return `'{"a":' || ${treeAttributes('__a', xml)} || ',"c":[' || array_to_string(list_transform(__k, (x, i) -> ${fragment}), '') || ']}'`;
}

/** The rows of `paths` (`rowsSql`) with their tokens `__k` (`name attrs>text`, `name attrs/>tail`, `/name>tail`). */
export function tokenRowsSql(paths: readonly string[], xml: XmlReadOptions): string {
  return `SELECT *, string_split(__i, '<')[2:] AS __k FROM (${rowsSql(paths, xml)})`;
}

/** How many levels of elements below the row a column of `type` reads (1: the column's own element). */
export function levelsOf(type: DuckType): number {
  switch (type.kind) {
    case 'scalar':
      return 1;
    case 'list':
      return levelsOf(type.element);
    case 'struct':
      return 1 + Math.max(0, ...type.fields.map((f) => levelsOf(f.type) - 0));
    case 'map':
      return 1;
    default: {
      const never: never = type;
      throw new Error(`unknown type ${String(never)}`);
    }
  }
}

/** `json_transform`'s structure for the tree JSON, `levels` levels of elements deep. */
export function treeStructure(levels: number): string {
  const attrs = `[{"k":"VARCHAR","v":"VARCHAR"}]`;
  let node = `{"n":"VARCHAR","a":${attrs},"t":"VARCHAR"}`;
  for (let l = levels - 1; l >= 1; l--) node = `{"n":"VARCHAR","a":${attrs},"t":"VARCHAR","c":[${node}]}`;
  return `{"a":${attrs},"c":[${node}]}`;
}

/** The DuckDB type of the raw value of a column of `type`: its shape with VARCHAR leaves. */
export function rawType(type: DuckType): string {
  switch (type.kind) {
    case 'scalar':
    case 'map':
      return 'VARCHAR';
    case 'list':
      return `${rawType(type.element)}[]`;
    case 'struct':
      return `STRUCT(${type.fields.map((f) => `"${f.name.replaceAll('"', '""')}" ${rawType(f.type)}`).join(', ')})`;
    default: {
      const never: never = type;
      throw new Error(`unknown type ${String(never)}`);
    }
  }
}

/** Whether a value `t` (VARCHAR) is empty or blank. */
const blank = (t: string) => `(${t} = '' OR trim(${t}, ${WS}) = '')`;

/** A text `t` as a value of scalar type `type` reads it (Spark's `convertTo`; '' is NULL but in a STRING). */
function leafValue(t: string, type: DuckType, xml: XmlReadOptions, isChild: boolean): string {
  let v = xml.ignoreSurroundingSpaces === true ? `trim(${t}, ${WS})` : t;
  if (xml.nullValue !== undefined) v = `CASE WHEN ${v} = ${sqlString(xml.nullValue)} THEN NULL ELSE ${v} END`;
  const isString = type.kind === 'scalar' && type.name === 'VARCHAR';
  return isString || !isChild ? v : `CASE WHEN ${blank(t)} THEN NULL ELSE ${v} END`;
}

/**
 * The raw value (`rawType`) of field `name` of `type` in element node `node` (a struct of the
 * transformed tree: `a` attributes, `t` text, `c` children), lambdas named by `depth`:
 * - a field named `attributePrefix` + name reads that attribute (else a child of its own name);
 * - `valueTag` reads the element's text (NULL when blank: Spark keeps no value there);
 * - any other field reads the children of that name (case-insensitively): a scalar or a struct the
 *   last one, an ARRAY all of them (NULL when there is none); a struct is a struct of NULLs for an
 *   empty element (Spark's `convertObjectWithAttributes`).
 */
function fieldValue(node: string, name: string, type: DuckType, xml: XmlReadOptions, depth: number): string {
  const lower = sqlString(name.toLowerCase());
  const y = `__y${depth}`;
  const children = `list_filter(${node}.c, ${y} -> lower(${y}.n) = ${lower})`;
  const element = (e: string, t: DuckType): string => {
    if (t.kind === 'struct') {
      const fields = t.fields.map(
        (f) => `${sqlString(f.name)}: ${fieldValue(e, f.name, f.type, xml, depth + 1)}`,
      );
      return `CASE WHEN ${e} IS NOT NULL THEN {${fields.join(', ')}} END`;
    }
    return leafValue(`${e}.t`, t, xml, true);
  };
  let fromChildren: string;
  if (type.kind === 'list') {
    fromChildren = `CASE WHEN len(${children}) > 0 THEN list_transform(${children}, ${y} -> ${element(y, type.element)}) END`;
  } else {
    fromChildren = element(`${children}[-1]`, type);
  }
  if (name.toLowerCase() === xml.valueTag.toLowerCase()) {
    return `CASE WHEN NOT ${blank(`${node}.t`)} THEN ${leafValue(`${node}.t`, type, xml, false)} END`;
  }
  if (
    !xml.excludeAttribute &&
    name.startsWith(xml.attributePrefix) &&
    name.length > xml.attributePrefix.length
  ) {
    const a = `__a${depth}`;
    const attr = sqlString(name.slice(xml.attributePrefix.length).toLowerCase());
    const value = leafValue(
      `list_filter(${node}.a, ${a} -> lower(${a}.k) = ${attr})[-1].v`,
      type,
      xml,
      false,
    );
    const present = `list_contains(list_transform(${node}.a, ${a} -> lower(${a}.k)), ${attr})`;
    const raw = type.kind === 'list' ? `[${value}]` : value;
    return `CASE WHEN ${present} THEN ${raw} ELSE ${fromChildren} END`;
  }
  return fromChildren;
}

/**
 * The raw relation (see `file-read.ts`) of XML files whose rows may have nested elements:
 * `__v<i>` the raw value of each schema column (`rawType`), `__x` the row's attributes and child
 * elements the schema lacks, as a JSON object of their texts (a repeated one as an array).
 */
export function nestedRawSql(paths: readonly string[], schema: FileSchema, xml: XmlReadOptions): string {
  const types = schema.columns.map((c) => parseDuckType(c.type));
  const levels = Math.max(1, ...types.map(levelsOf));
  const values = schema.columns.map(
    (c, i) => `${fieldValue('__t', c.name, types[i]!, xml, 0)}::${rawType(types[i]!)} AS __v${i}`,
  );
  const known = sqlString(JSON.stringify(schema.columns.map((c) => c.name.toLowerCase())));
  const prefix = sqlString(xml.attributePrefix);
  // Entries the schema lacks: attributes then children, by name; a repeated one as an array.
  const entries = `list_concat(list_transform(__t.a, e -> {'n': ${prefix} || e.k, 't': e.v}), list_transform(__t.c, e -> {'n': e.n, 't': e.t}))`;
  const unknown = `list_filter(${entries}, e -> NOT list_contains(${known}::VARCHAR[], lower(e.n)))`;
  const same = `list_transform(list_filter(${unknown}, e -> e.n = u), e -> e.t)`;
  const rescued = `CASE WHEN len(${same}) = 1 THEN to_json((${same})[1]) ELSE to_json(${same}) END`;
  const x = `CASE WHEN len(${unknown}) > 0 THEN to_json(map_from_entries(list_transform(list_distinct(list_transform(${unknown}, e -> e.n)), u -> {'k': u, 'v': ${rescued}})))::JSON END`;
  const tree = `json_transform((${treeJsonSql(xml)})::JSON, ${sqlString(treeStructure(levels))})`;
  return (
    `SELECT __src, NULL::VARCHAR AS __bad, ${x} AS __x${values.map((v) => `, ${v}`).join('')} ` +
    `FROM (SELECT __src, ${tree} AS __t FROM (${tokenRowsSql(paths, xml)}))`
  );
}
