import type { XmlReadOptions } from '../../sql/index.ts';
import { unsupportedXml } from '../../sql/index.ts';
import { type DuckDBConnection, type DuckType, parseDuckType, queryRows } from '../../util/index.ts';
import { displayPath } from './file-checks.ts';
import type { FileColumn, FileSchema } from './file-schema.ts';
import { shapeJsonSql, tokenRowsSql } from './file-xml-tree.ts';
import { COLUMN_TYPE, mergeClass, type XmlClass } from './file-xml-values.ts';

/**
 * Schema inference for XML rows with nested elements, following Spark's `XmlInferSchema`:
 * - an element with child elements or attributes is a STRUCT: its attributes are fields named
 *   `attributePrefix` + name, its children fields by name, its text (when not blank) the field
 *   `valueTag`; an element with neither is a primitive typed by its text (as flat rows are);
 * - an element repeated within its parent is an ARRAY of the merged type of its occurrences;
 * - occurrences merge as Spark's `compatibleType`: two structs into the union of their fields
 *   (each merged), an ARRAY with anything into an ARRAY, a struct with a `valueTag` field and a
 *   primitive into the struct with the two types merged in `valueTag`, an element without value
 *   (`<a/>`) into anything;
 * - fields sorted by name at every level; a field never seen with a value is a STRING.
 * Refused (UNSUPPORTED_XML naming the element and file): a struct without `valueTag` merged with a
 * primitive (Spark makes it a STRING holding the element's raw XML, or a result that depends on
 * the order rows are merged in), names equal to `valueTag` or to another field of the same struct
 * but for case (an attribute `_x` and a child `_x`), nested elements without type inference, and
 * structs nested deeper than {@link MAX_DEPTH} levels.
 *
 * The occurrences are found by `json_tree` over each row's shape JSON (`file-xml-tree.ts`) and
 * aggregated in DuckDB: one row per element path, kind and class reaches JavaScript.
 */

/** Struct levels below the row sluice reads (deeper is refused). */
export const MAX_DEPTH = 16;

/** One kind of occurrence of an element or attribute at a path (`fullkey` of `json_tree`). */
interface Occurrence {
  readonly name: string;
  readonly fullkey: string;
  readonly path: string;
  /** `parent`: child elements; `struct`: attributes, no text; `struct_v`: attributes and text; `prim`: neither; `attr`. */
  readonly kind: 'parent' | 'struct' | 'struct_v' | 'prim' | 'attr';
  readonly cls: string;
  readonly rep: boolean;
  readonly src: string;
  readonly example: string | null;
}

/** The SQL aggregating the occurrences of the elements and attributes of the rows of `rows` (see `Occurrence`). */
function occurrencesSql(rows: string, xml: XmlReadOptions, classes: boolean): string {
  const blank = `(text IS NULL OR text = 'blank')`;
  const element = `regexp_extract(path, '/([^/]*)$', 1)`;
  return (
    // Rows of one shape are typed once. A row whose tags do not nest has no valid shape JSON (NULL
    // here, a `mismatch`); an element closed by an end tag of another name is a `mismatch` too.
    `WITH s AS MATERIALIZED (SELECT row_number() OVER () AS __r, __src, __n, TRY_CAST(__v AS JSON) AS __j FROM (` +
    `SELECT __v, min(__src) AS __src, count(*) AS __n FROM (SELECT __src, (${shapeJsonSql(xml, classes)}) AS __v FROM (${rows})) GROUP BY __v)), ` +
    `t AS MATERIALIZED (SELECT __r, __src, key, fullkey, path, id, parent, value FROM s, json_tree(s.__j)), ` +
    `m AS (SELECT __r, parent AS eid, bool_or(key ^@ '@') AS attrs, bool_or(key ^@ '/') AS kids, ` +
    `max(CASE WHEN key = '#' THEN json_extract_string(value, '$') END) AS text FROM t WHERE key IS NOT NULL GROUP BY __r, parent), ` +
    `el AS (SELECT t.__src, substr(t.key, 2) AS name, t.fullkey, t.path, ` +
    `count(*) OVER (PARTITION BY t.__r, t.parent, lower(t.key)) AS c, m.attrs, m.kids, m.text ` +
    `FROM t JOIN m ON t.__r = m.__r AND t.id = m.eid WHERE t.key ^@ '/'), ` +
    `o AS (SELECT name, fullkey, path, CASE WHEN kids THEN 'parent' WHEN attrs AND NOT ${blank} THEN 'struct_v' ` +
    `WHEN attrs THEN 'struct' ELSE 'prim' END AS kind, ` +
    `CASE WHEN kids OR ${blank} THEN 'null' ELSE text END AS cls, c > 1 AS rep, __src AS src FROM el ` +
    `UNION ALL SELECT substr(key, 2), fullkey, path, 'attr', json_extract_string(value, '$'), false, __src FROM t WHERE key ^@ '@') ` +
    `SELECT name, fullkey, path, kind, CASE WHEN cls ^@ 'ambiguous:' THEN 'ambiguous' ELSE cls END AS cls, ` +
    `bool_or(rep) AS rep, min(src) AS src, min(CASE WHEN cls ^@ 'ambiguous:' THEN substr(cls, 11) END) AS example ` +
    `FROM o GROUP BY ALL ` +
    `UNION ALL SELECT NULL, NULL, NULL, 'mismatch', NULL, false, min(__src), NULL FROM s WHERE __j IS NULL HAVING count(*) > 0 ` +
    `UNION ALL SELECT NULL, NULL, NULL, 'mismatch', NULL, false, min(__src), min(${element}) FROM t ` +
    `WHERE key = '$' AND json_extract_string(value, '$') <> ${element} HAVING count(*) > 0 ` +
    `UNION ALL SELECT NULL, NULL, NULL, 'rows', sum(__n)::VARCHAR, false, NULL, NULL FROM s ` +
    `ORDER BY fullkey, kind, cls`
  );
}

/** The occurrences of elements and attributes in rows of XML files, and how many rows were read. */
export interface XmlOccurrences {
  readonly occurrences: readonly Occurrence[];
  readonly rows: number;
}

/**
 * The occurrences in the first `limit` rows of `paths` (all rows when undefined), refusing rows
 * whose tags do not nest or are closed by an end tag of another name. Without `classes` the
 * occurrences' classes are not computed (`''`; what `checkNestedFit` needs, at a fraction of the
 * cost).
 * @throws SluiceError UNSUPPORTED_XML
 */
export async function xmlOccurrences(
  conn: DuckDBConnection,
  paths: readonly string[],
  xml: XmlReadOptions,
  limit?: number,
  root?: string,
  classes = true,
): Promise<XmlOccurrences> {
  const rows = `SELECT * FROM (${tokenRowsSql(paths, xml)})${limit === undefined ? '' : ` LIMIT ${limit}`}`;
  const all = await queryRows<Omit<Occurrence, 'kind'> & { kind: Occurrence['kind'] | 'mismatch' | 'rows' }>(
    conn,
    occurrencesSql(rows, xml, classes),
  );
  const mismatch = all.find((o) => o.kind === 'mismatch');
  if (mismatch !== undefined) {
    const detail = mismatch.example ? ` (${mismatch.example})` : '';
    throw unsupportedXml(
      'mismatched tags',
      `XML file ${displayPath(mismatch.src, root)} has a mismatched tags${detail}: sluice reads only row elements <${xml.rowTag}> of well-formed elements`,
      mismatch.src,
    );
  }
  return {
    occurrences: all.filter((o): o is Occurrence => o.kind !== 'rows'),
    rows: Number(all.find((o) => o.kind === 'rows')?.cls ?? 0),
  };
}

/** A path's occurrences merged. */
interface PathNode {
  readonly name: string;
  readonly fullkey: string;
  readonly isAttribute: boolean;
  /** Merged class of its primitive occurrences and of its text where it is a struct. */
  cls: XmlClass;
  /** Whether a primitive occurrence had a value. */
  primitiveValue: boolean;
  /** Whether it was a struct with text / without text somewhere. */
  structValue: boolean;
  structNoValue: boolean;
  repeated: boolean;
  src: string;
  readonly children: PathNode[];
}

const compareNames = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The columns of XML rows (see the module comment) from their occurrences. `hinted`: lower-case
 * names of top-level columns typed by schemaHints (an ambiguous value there is no refusal).
 * @throws SluiceError UNSUPPORTED_XML
 */
export function nestedColumns(
  occurrences: readonly Occurrence[],
  xml: XmlReadOptions,
  inferTypes: boolean,
  hinted: ReadonlySet<string>,
  root?: string,
): FileColumn[] {
  const nodes = new Map<string, PathNode>();
  const top: PathNode[] = [];
  for (const o of occurrences) {
    let node = nodes.get(o.fullkey);
    if (node === undefined) {
      node = {
        name: o.name,
        fullkey: o.fullkey,
        isAttribute: o.kind === 'attr',
        cls: 'null',
        primitiveValue: false,
        structValue: false,
        structNoValue: false,
        repeated: false,
        src: o.src,
        children: [],
      };
      nodes.set(o.fullkey, node);
      if (o.path === '$') top.push(node);
      else nodes.get(o.path)?.children.push(node);
    }
    const isTop = o.path === '$';
    if (o.cls === 'ambiguous' && inferTypes && !(isTop && hinted.has(fieldName(node, xml).toLowerCase()))) {
      throw unsupportedXml(
        'value of unknown inferred type',
        `XML file ${displayPath(o.src, root)} has a value of unknown inferred type ('${o.example}' in '${o.name}'): Spark's lenient timestamp inference may read it as a TIMESTAMP, which sluice cannot tell; declare the column's type (schemaHints)`,
        o.src,
      );
    }
    const cls = (o.cls === 'ambiguous' ? 'string' : o.cls) as XmlClass;
    node.cls = mergeClass(node.cls, cls);
    if (o.kind === 'prim' && cls !== 'null') node.primitiveValue = true;
    if (o.kind === 'struct_v') node.structValue = true;
    if (o.kind === 'struct' || o.kind === 'parent') node.structNoValue = true;
    if (o.rep) node.repeated = true;
  }
  const fields = (children: readonly PathNode[], depth: number, where: string): FileColumn[] => {
    const byName = new Map<string, PathNode>();
    for (const c of children) {
      const key = fieldName(c, xml).toLowerCase();
      const other = byName.get(key);
      if (other !== undefined) {
        throw unsupportedXml(
          'names differing only by case',
          `XML file ${displayPath(c.src, root)} has names differing only by case in ${where} ('${fieldName(other, xml)}' and '${fieldName(c, xml)}'): Spark merges them into one field whose type and name sluice cannot tell`,
          c.src,
        );
      }
      if (depth > 0 && key === xml.valueTag.toLowerCase()) {
        throw unsupportedXml(
          'element named as valueTag',
          `XML file ${displayPath(c.src, root)} has an element named as valueTag ('${xml.valueTag}' in ${where}), the name of an element's text (valueTag): sluice does not read it`,
          c.src,
        );
      }
      byName.set(key, c);
    }
    return children
      .map((c) => ({ name: fieldName(c, xml), type: typeOf(c, depth) }))
      .sort((a, b) => compareNames(a.name, b.name));
  };
  const typeOf = (node: PathNode, depth: number): string => {
    const isStruct = node.structValue || node.structNoValue;
    if ((isStruct || node.repeated) && !inferTypes) {
      throw unsupportedXml(
        'nested or repeated element without type inference',
        `XML file ${displayPath(node.src, root)} has a nested or repeated element without type inference ('${node.name}' has child elements or attributes, or repeats, and column types are not inferred (cloudFiles.inferColumnTypes false)): sluice does not know how Auto Loader renders it; set cloudFiles.inferColumnTypes to true or declare the schema`,
        node.src,
      );
    }
    let base: string;
    if (!isStruct) {
      base = inferTypes ? COLUMN_TYPE[node.cls] : 'VARCHAR';
    } else {
      if (node.primitiveValue && node.structNoValue) {
        throw unsupportedXml(
          'element read as a struct and as a value',
          `XML file ${displayPath(node.src, root)} has an element read as a struct and as a value ('${node.name}': a value alone in some places, child elements or attributes without a value in others): Spark reads it as a STRING of raw XML (or by the order rows merge in), which sluice does not`,
          node.src,
        );
      }
      if (depth + 1 > MAX_DEPTH) {
        throw unsupportedXml(
          'elements nested too deep',
          `XML file ${displayPath(node.src, root)} has elements nested too deep (more than ${MAX_DEPTH} levels below the row element, at '${node.name}'): sluice does not read them`,
          node.src,
        );
      }
      const members = fields(node.children, depth + 1, `'${node.name}'`);
      if (node.structValue || node.primitiveValue) {
        members.push({ name: xml.valueTag, type: COLUMN_TYPE[node.cls] });
        members.sort((a, b) => compareNames(a.name, b.name));
      }
      base = `STRUCT(${members.map((m) => `${quoted(m.name)} ${m.type}`).join(', ')})`;
    }
    return node.repeated ? `${base}[]` : base;
  };
  return fields(top, 0, `<${xml.rowTag}>`);
}

function fieldName(node: PathNode, xml: XmlReadOptions): string {
  return node.isAttribute ? `${xml.attributePrefix}${node.name}` : node.name;
}

/**
 * Refuses a batch of nested rows whose elements do not fit `schema` where Spark's reading is not
 * what sluice reads: an element with child elements where the schema has a scalar (Spark reads
 * its raw XML into a STRING, or fails the record), and, when values that do not fit are rescued,
 * an element or attribute the schema lacks that is nested or inside a struct (sluice does not know
 * Databricks' rescued form of it; a top-level text-only one is rescued as flat rows do).
 * @throws SluiceError UNSUPPORTED_XML
 */
export function checkNestedFit(
  occurrences: readonly Occurrence[],
  schema: FileSchema,
  xml: XmlReadOptions,
  rescue: boolean,
  root?: string,
): void {
  const rootFields = schema.columns.map((c) => ({ name: c.name, type: parseDuckType(c.type) }));
  // Each path's type in the schema; 'absent' where the schema has no such field.
  const types = new Map<string, DuckType | 'absent'>();
  for (const o of occurrences) {
    let fields: readonly { name: string; type: DuckType }[] = rootFields;
    if (o.path !== '$') {
      const parent = types.get(o.path);
      if (parent === undefined || parent === 'absent') {
        types.set(o.fullkey, 'absent');
        continue;
      }
      const container = parent.kind === 'list' ? parent.element : parent;
      fields = container.kind === 'struct' ? container.fields : [];
    }
    const name = (o.kind === 'attr' ? `${xml.attributePrefix}${o.name}` : o.name).toLowerCase();
    const type = fields.find((f) => f.name.toLowerCase() === name)?.type;
    types.set(o.fullkey, type ?? 'absent');
    const nested = o.kind !== 'prim' && o.kind !== 'attr';
    if (type === undefined) {
      if (rescue && (o.path !== '$' || nested)) {
        throw unsupportedXml(
          'element not in the schema',
          `XML file ${displayPath(o.src, root)} has an element not in the schema (${o.kind === 'attr' ? 'attribute' : 'element'} '${o.name}', nested or inside a struct): sluice does not know how Databricks rescues it`,
          o.src,
        );
      }
      continue;
    }
    const element = type.kind === 'list' ? type.element : type;
    if (o.kind === 'parent' && element.kind !== 'struct') {
      throw unsupportedXml(
        'element with children read as a value',
        `XML file ${displayPath(o.src, root)} has an element with children read as a value ('${o.name}', where the schema has a ${element.text}): Spark reads its raw XML or fails the record, which sluice does not`,
        o.src,
      );
    }
  }
}
