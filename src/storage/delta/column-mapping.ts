/**
 * Column mapping (`delta.columnMapping.mode` = `name` or `id`): every column, nested or not, has
 * a logical (display) name, which may change, and a physical name (and a 32-bit id) that never
 * does. Data files, partition values and statistics use the physical names (`name` mode) or the
 * ids (`id` mode, for data files); the schema and sluice's readers use the logical names.
 *
 * The mode is honoured only when the protocol supports the feature (reader version 2, or 3 with
 * `columnMapping`); otherwise files are read by display name, as the protocol says.
 */
import type { AddAction, MetadataAction, ProtocolAction } from './actions.ts';

/** How a table's data files name their columns. */
export type ColumnMappingMode = 'none' | 'name' | 'id';

/** Column metadata key of a field's physical name. */
export const PHYSICAL_NAME_KEY = 'delta.columnMapping.physicalName';
/** Column metadata key of a field's id. */
export const FIELD_ID_KEY = 'delta.columnMapping.id';

/** The column mapping mode in effect for a table (see the module comment). */
export function columnMappingMode(protocol: ProtocolAction, metadata: MetadataAction): ColumnMappingMode {
  const mode = (metadata.configuration['delta.columnMapping.mode'] ?? 'none').toLowerCase();
  const supported =
    protocol.minReaderVersion === 2 ||
    (protocol.minReaderVersion >= 3 && (protocol.readerFeatures ?? []).includes('columnMapping'));
  if (!supported || mode === 'none') return 'none';
  if (mode === 'name' || mode === 'id') return mode;
  return mode as ColumnMappingMode; // an unknown mode: features.ts refuses the table
}

/** A field as it appears in the schema JSON (`schemaString`), with its metadata. */
export interface RawField {
  readonly name: string;
  readonly type: unknown;
  readonly nullable?: boolean;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** The physical name of a field in `mode` (its display name when the table is not mapped). */
export function physicalNameOf(field: RawField, mode: ColumnMappingMode): string {
  if (mode === 'none') return field.name;
  const p = field.metadata?.[PHYSICAL_NAME_KEY];
  return typeof p === 'string' && p !== '' ? p : field.name;
}

/** The column id of a field, when it has one. */
export function fieldIdOf(field: RawField): number | undefined {
  const id = field.metadata?.[FIELD_ID_KEY];
  return typeof id === 'number' && Number.isInteger(id) ? id : undefined;
}

/** The fields of a struct type node of the schema JSON (empty for anything else). */
export function rawStructFields(node: unknown): readonly RawField[] {
  if (!node || typeof node !== 'object') return [];
  const o = node as { type?: unknown; fields?: unknown };
  return o.type === 'struct' && Array.isArray(o.fields) ? (o.fields as RawField[]) : [];
}

/**
 * Physical → logical names for one struct level, with the same map for every nested struct
 * (reached through struct fields directly, or through array elements and map values).
 */
interface NameTree {
  readonly names: ReadonlyMap<string, string>;
  readonly children: ReadonlyMap<string, NameTree>;
}

function nameTree(fields: readonly RawField[], mode: ColumnMappingMode): NameTree {
  const names = new Map<string, string>();
  const children = new Map<string, NameTree>();
  for (const f of fields) {
    const physical = physicalNameOf(f, mode);
    names.set(physical, f.name);
    let t: unknown = f.type;
    // Statistics of nested fields only go through structs, but be lenient with containers.
    while (
      t &&
      typeof t === 'object' &&
      ((t as { type?: unknown }).type === 'array' || (t as { type?: unknown }).type === 'map')
    ) {
      const o = t as { type: string; elementType?: unknown; valueType?: unknown };
      t = o.type === 'array' ? o.elementType : o.valueType;
    }
    const nested = rawStructFields(t);
    if (nested.length > 0) children.set(physical, nameTree(nested, mode));
  }
  return { names, children };
}

/**
 * `stats` JSON text with the column keys of minValues / maxValues / nullCount renamed through
 * `tree`, rewritten as text so that numbers keep every digit (a long bound must not be rounded
 * through a double). Undefined when the text is not well-formed.
 */
function renameStatsKeys(text: string, tree: NameTree): string | undefined {
  let out = '';
  let i = 0;
  // Per open object: the names of its keys (undefined: keep them), and the key last seen in it.
  const stack: { tree: NameTree | undefined; root: boolean; key?: string }[] = [];
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) return undefined;
      const token = text.slice(i, j + 1);
      let k = j + 1;
      while (k < text.length && /\s/.test(text[k] as string)) k++;
      const top = stack.at(-1);
      if (text[k] === ':' && top) {
        let key: string;
        try {
          key = JSON.parse(token) as string;
        } catch {
          return undefined;
        }
        top.key = key;
        const renamed = top.tree?.names.get(key);
        out += renamed === undefined ? token : JSON.stringify(renamed);
      } else {
        out += token;
      }
      i = j + 1;
      continue;
    }
    if (ch === '{') {
      const top = stack.at(-1);
      if (!top) stack.push({ tree: undefined, root: true });
      else if (top.root) {
        const stats = top.key === 'minValues' || top.key === 'maxValues' || top.key === 'nullCount';
        stack.push({ tree: stats ? tree : undefined, root: false });
      } else {
        stack.push({
          tree: top.key === undefined ? undefined : top.tree?.children.get(top.key),
          root: false,
        });
      }
    } else if (ch === '}') {
      stack.pop();
    }
    out += ch;
    i++;
  }
  return stack.length === 0 ? out : undefined;
}

/**
 * Turns the physical names in the log's view of files into logical ones, for a mapped table:
 * returns a function giving each add action with `partitionValues` and the column keys of its
 * `stats` (minValues, maxValues, nullCount) under the logical names of `metadata`'s schema.
 * Identity for a table without column mapping.
 */
export function logicalFileView(
  protocol: ProtocolAction,
  metadata: MetadataAction,
): ((add: AddAction) => AddAction) | undefined {
  const mode = columnMappingMode(protocol, metadata);
  if (mode === 'none') return undefined;
  let schema: unknown;
  try {
    schema = JSON.parse(metadata.schemaString);
  } catch {
    return undefined; // parseSchemaString reports it
  }
  const tree = nameTree(rawStructFields(schema), mode);
  return (add) => {
    const partitionValues: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(add.partitionValues ?? {}))
      partitionValues[tree.names.get(k) ?? k] = v;
    const { stats, ...rest } = add;
    // Unreadable statistics are no statistics (they only ever help skip data).
    const renamed = stats ? renameStatsKeys(stats, tree) : undefined;
    return { ...rest, partitionValues, ...(renamed === undefined ? {} : { stats: renamed }) };
  };
}
