/**
 * How each column of a table is read from its data files: under which name (its physical name
 * with column mapping, its field id in `id` mode), as which DuckDB type, and the SQL that turns
 * the value read into the column's value (its logical type, nested fields under their logical
 * names). Built from the schema JSON itself, as it carries what the parsed schema does not: the
 * physical names and ids of nested fields and the types read as others —
 * - `void`: not read at all, always NULL (VARCHAR);
 * - `variant` (a struct of `value` and `metadata` bytes in Parquet): its JSON text, decoded by
 *   DuckDB's `variant_bytes_to_variant`;
 * - `geometry(…)` / `geography(…)`: refused (DELTA_UNSUPPORTED_FEATURE).
 * Any other column is cast to its table type, which also reads files written before a type
 * widening (int → long, float → double, decimal scale-up, date → timestamp_ntz, …).
 */
import { SluiceError } from '../../errors/index.ts';
import { sqlIdent } from '../../util/index.ts';
import {
  type ColumnMappingMode,
  fieldIdOf,
  physicalNameOf,
  type RawField,
  rawStructFields,
} from './column-mapping.ts';
import {
  type DeltaType,
  deltaTypeToDuckDB,
  parseTypeNode,
  type StructType,
  specialTypeOf,
} from './schema.ts';

/** One top-level column of a table, as a scan reads it. */
export interface ReadColumn {
  /** Logical (display) name: the name of the scan's output column. */
  readonly name: string;
  /** The column's type as sluice presents it. */
  readonly type: DeltaType;
  /** Its name in the data files (and in the relation read from them). */
  readonly physical: string;
  /** `id` mode: the Parquet field id the column is found by. */
  readonly fieldId?: number;
  /** DuckDB type the files' column is read as; undefined when it is not read (void). */
  readonly fileType?: string;
  /** SQL for the column's value from `expr`, the value read from the files (of `fileType`). */
  readonly project: (expr: string) => string;
}

/** The columns of a table as a scan reads them, and how files name them. */
export interface ReadSchema {
  readonly mode: ColumnMappingMode;
  readonly columns: readonly ReadColumn[];
}

/** The read schema of a schema without column mapping or special types (sluice's own tables). */
export function plainReadSchema(schema: StructType): ReadSchema {
  return {
    mode: 'none',
    columns: schema.fields.map((f) => {
      const duck = deltaTypeToDuckDB(f.type);
      return {
        name: f.name,
        type: f.type,
        physical: f.name,
        fileType: duck,
        project: (e) => `CAST(${e} AS ${duck})`,
      };
    }),
  };
}

/** How one type node is read (see {@link readSchemaOf}). */
interface TypeRead {
  readonly type: DeltaType;
  readonly fileType: string | undefined;
  /** True when reading is a plain cast to the type (same field names, no special types). */
  readonly plain: boolean;
  readonly project: (expr: string) => string;
}

function typeRead(node: unknown, mode: ColumnMappingMode, where: string, depth: number): TypeRead {
  const special = specialTypeOf(node);
  const type = parseTypeNode(node, where);
  const duck = deltaTypeToDuckDB(type);
  const cast = (e: string) => `CAST(${e} AS ${duck})`;
  switch (special) {
    case 'void':
      return { type, fileType: undefined, plain: false, project: () => `CAST(NULL AS ${duck})` };
    case 'variant':
      return {
        type,
        fileType: 'STRUCT("value" BLOB, metadata BLOB)',
        plain: false,
        // A NULL group is SQL NULL; a variant holding JSON null reads as the text 'null'.
        project: (e) =>
          `CASE WHEN (${e}) IS NULL THEN NULL ELSE CAST(CAST(variant_bytes_to_variant((${e}).metadata || (${e})."value") AS JSON) AS VARCHAR) END`,
      };
    case 'geospatial':
      // Refused: features.ts refuses the table first; a geometry type without the feature too.
      throw new SluiceError(
        'DELTA_UNSUPPORTED_FEATURE',
        `column ${where} has type ${String(node)}; sluice does not read geometry or geography columns`,
        { params: { feature: 'geospatial', column: where } },
      );
    case undefined:
      break;
  }
  if (typeof node === 'string' || !node || typeof node !== 'object') {
    return { type, fileType: duck, plain: true, project: cast };
  }
  const o = node as Record<string, unknown>;
  const x = `__sluice_x${depth}`;
  if (o.type === 'array') {
    const el = typeRead(o.elementType, mode, `${where}.element`, depth + 1);
    return {
      type,
      fileType: `${el.fileType ?? 'VARCHAR'}[]`,
      plain: el.plain,
      project: el.plain ? cast : (e) => `list_transform(${e}, lambda ${x}: ${el.project(x)})`,
    };
  }
  if (o.type === 'map') {
    const k = typeRead(o.keyType, mode, `${where}.key`, depth + 1);
    const v = typeRead(o.valueType, mode, `${where}.value`, depth + 1);
    const plain = k.plain && v.plain;
    return {
      type,
      fileType: `MAP(${k.fileType ?? 'VARCHAR'}, ${v.fileType ?? 'VARCHAR'})`,
      plain,
      project: plain
        ? cast
        : (e) =>
            `map_from_entries(list_transform(map_entries(${e}), lambda ${x}: {'key': ${k.project(`${x}.key`)}, 'value': ${v.project(`${x}.value`)}}))`,
    };
  }
  // A struct: fields under their physical names in files, their logical names out.
  const fields = rawStructFields(o).map((f) => ({
    name: f.name,
    physical: physicalNameOf(f, mode),
    read: typeRead(f.type, mode, where ? `${where}.${f.name}` : f.name, depth + 1),
  }));
  const plain = fields.every((f) => f.read.plain && f.physical === f.name);
  const read = fields.filter((f) => f.read.fileType !== undefined);
  const fileType =
    read.length > 0
      ? `STRUCT(${read.map((f) => `${sqlIdent(f.physical)} ${f.read.fileType}`).join(', ')})`
      : 'STRUCT("__sluice_void" VARCHAR)';
  return {
    type,
    fileType,
    plain,
    project: plain
      ? cast
      : (e) =>
          `CASE WHEN (${e}) IS NULL THEN NULL ELSE struct_pack(${fields
            .map((f) => `${sqlIdent(f.name)} := ${f.read.project(`(${e}).${sqlIdent(f.physical)}`)}`)
            .join(', ')}) END`,
  };
}

/**
 * The read schema of a table's `schemaString` under column mapping `mode`. Throws what
 * `parseSchemaString` throws for a schema it cannot read.
 */
export function readSchemaOf(schemaString: string, mode: ColumnMappingMode): ReadSchema {
  const fields: readonly RawField[] = rawStructFields(JSON.parse(schemaString));
  return {
    mode,
    columns: fields.map((f) => {
      const read = typeRead(f.type, mode, f.name, 0);
      const fieldId = mode === 'id' ? fieldIdOf(f) : undefined;
      return {
        name: f.name,
        type: read.type,
        physical: physicalNameOf(f, mode),
        ...(fieldId !== undefined ? { fieldId } : {}),
        ...(read.fileType !== undefined ? { fileType: read.fileType } : {}),
        project: read.project,
      };
    }),
  };
}
