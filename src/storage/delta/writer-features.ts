/**
 * Which Delta writer features sluice honours when it commits to a table, so that it never
 * writes a commit that breaks a feature the table declares.
 *
 * Honoured (what sluice does for each):
 * - `appendOnly`: with `delta.appendOnly = true`, no commit removes rows (DELTA_TABLE_APPEND_ONLY);
 *   compaction (dataChange = false) still may;
 * - `inCommitTimestamp`: with `delta.enableInCommitTimestamps = true`, every commit carries a
 *   monotonic `commitInfo.inCommitTimestamp` (commit.ts);
 * - `deletionVectors`: row-level changes of a table with `delta.enableDeletionVectors = true`
 *   write vectors (row-changes.ts); a file is always removed together with its vector, and
 *   vectors are kept in checkpoints and by vacuum;
 * - `changeDataFeed`, `timestampNtz`, `vacuumProtocolCheck`, `typeWidening`: nothing to do for
 *   the writes sluice makes (files are written with the table's types);
 * - `invariants`, `checkConstraints`, `generatedColumns`, `identityColumns`, `columnMapping`,
 *   `variantType`, `allowColumnDefaults`: only while the table does not use them (no invariant,
 *   constraint, generation expression, identity or default column; mapping mode `none`; no
 *   variant column) — then there is nothing to honour. A table that uses one is refused.
 * Anything else (`rowTracking`, `domainMetadata`, `clustering`, `v2Checkpoint`, `icebergCompat…`,
 * …) is refused with DELTA_UNSUPPORTED_FEATURE naming the feature, before any file is written
 * when the caller checks first (prepare-table), and in any case before the commit.
 */
import { SluiceError } from '../../errors/index.ts';
import type { Action, MetadataAction, ProtocolAction } from './actions.ts';
import { columnMappingMode, type RawField, rawStructFields } from './column-mapping.ts';
import { specialTypeOf } from './schema.ts';

/** Writer features (protocol 7) sluice may commit under; see the module comment for the conditions. */
const HONOURED_WRITER_FEATURES: ReadonlySet<string> = new Set([
  'appendOnly',
  'inCommitTimestamp',
  'deletionVectors',
  'changeDataFeed',
  'timestampNtz',
  'vacuumProtocolCheck',
  'typeWidening',
  'typeWidening-preview',
  'invariants',
  'checkConstraints',
  'generatedColumns',
  'identityColumns',
  'columnMapping',
  'variantType',
  'variantType-preview',
  'allowColumnDefaults',
]);

/** What would make a refused feature writable, per feature. */
const NEEDED: Readonly<Record<string, string>> = {
  rowTracking: 'assigning row ids and commit versions to new files',
  domainMetadata: 'keeping metadata domains (e.g. clustering) up to date',
  clustering: 'writing files clustered by the clustering columns',
  v2Checkpoint: 'writing v2 checkpoints',
  invariants: 'checking column invariants on every row written',
  checkConstraints: 'checking the table’s CHECK constraints on every row written',
  generatedColumns: 'computing generated columns',
  identityColumns: 'assigning identity values',
  columnMapping: 'writing data files with physical column names and ids',
  variantType: 'writing variant values',
  allowColumnDefaults: 'filling column defaults',
  void: 'writing void columns',
  geospatial: 'writing geometry values',
};

/** The protocol and metadata sluice is about to commit against. */
export interface WriteTarget {
  readonly tablePath: string;
  readonly protocol: ProtocolAction;
  readonly metadata: MetadataAction;
}

function refuse(t: WriteTarget, feature: string, operation: string, detail?: string): SluiceError {
  const need = NEEDED[feature] ?? 'support for this writer feature';
  return new SluiceError(
    'DELTA_UNSUPPORTED_FEATURE',
    `cannot ${operation} Delta table at ${t.tablePath}: it uses writer feature '${feature}'${detail ? ` (${detail})` : ''}, which sluice does not honour (that needs ${need}); write to it with Databricks or Spark, or write a new table`,
    { params: { feature, table: t.tablePath, operation, ...(detail ? { detail } : {}) } },
  );
}

/** Every field of a schema JSON, nested ones included. */
function allFields(node: unknown, out: RawField[] = []): RawField[] {
  for (const f of rawStructFields(node)) {
    out.push(f);
    let t: unknown = f.type;
    while (t && typeof t === 'object') {
      const o = t as { type?: string; elementType?: unknown; valueType?: unknown; keyType?: unknown };
      if (o.type === 'array') t = o.elementType;
      else if (o.type === 'map') {
        allFields({ type: 'struct', fields: [{ name: 'key', type: o.keyType }] }, out);
        t = o.valueType;
      } else break;
    }
    allFields(t, out);
  }
  return out;
}

/** The features the table uses that sluice's writes would break (feature → what uses it). */
function usedFeatures(t: WriteTarget): [string, string][] {
  const used: [string, string][] = [];
  if (columnMappingMode(t.protocol, t.metadata) !== 'none') {
    used.push([
      'columnMapping',
      `delta.columnMapping.mode = ${t.metadata.configuration['delta.columnMapping.mode']}`,
    ]);
  }
  for (const key of Object.keys(t.metadata.configuration)) {
    if (key.startsWith('delta.constraints.')) used.push(['checkConstraints', `constraint ${key.slice(18)}`]);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(t.metadata.schemaString);
  } catch {
    schema = undefined; // the reader reports it
  }
  for (const f of allFields(schema)) {
    const meta = f.metadata ?? {};
    if ('delta.invariants' in meta) used.push(['invariants', `column ${f.name}`]);
    if ('delta.generationExpression' in meta) used.push(['generatedColumns', `column ${f.name}`]);
    if (Object.keys(meta).some((k) => k.startsWith('delta.identity.')))
      used.push(['identityColumns', `column ${f.name}`]);
    if ('CURRENT_DEFAULT' in meta) used.push(['allowColumnDefaults', `column ${f.name}`]);
    let type: unknown = f.type;
    while (type && typeof type === 'object' && (type as { type?: string }).type === 'array') {
      type = (type as { elementType?: unknown }).elementType;
    }
    const special = specialTypeOf(type);
    if (special === 'variant') used.push(['variantType', `column ${f.name}`]);
    else if (special === 'void') used.push(['void', `column ${f.name}`]);
    else if (special === 'geospatial') used.push(['geospatial', `column ${f.name}`]);
  }
  return used;
}

/**
 * Throws unless sluice may commit `actions` to the table (see the module comment):
 * DELTA_UNSUPPORTED_FEATURE naming the first writer feature sluice does not honour (or a
 * writer version above 7), DELTA_TABLE_APPEND_ONLY for a data change that removes rows of an
 * append-only table. `operation` names the write in messages (e.g. 'write to', 'compact').
 */
export function assertWritable(t: WriteTarget, actions: readonly Action[], operation = 'write to'): void {
  const v = t.protocol.minWriterVersion;
  if (v > 7) throw refuse(t, `writerVersion${v}`, operation);
  if (v === 7) {
    for (const f of t.protocol.writerFeatures ?? []) {
      if (!HONOURED_WRITER_FEATURES.has(f)) throw refuse(t, f, operation);
    }
  }
  const used = usedFeatures(t)[0];
  if (used) throw refuse(t, used[0], operation, used[1]);
  const removesRows = actions.some((a) => 'remove' in a && a.remove.dataChange);
  if (removesRows && (t.metadata.configuration['delta.appendOnly'] ?? '').toLowerCase() === 'true') {
    throw new SluiceError(
      'DELTA_TABLE_APPEND_ONLY',
      `table ${t.tablePath} is append-only (delta.appendOnly = true): this ${operation === 'write to' ? 'write' : operation} would remove rows`,
      { params: { table: t.tablePath } },
    );
  }
}

/** True when commits to the table must carry an in-commit timestamp. */
export function inCommitTimestampsEnabled(t: Pick<WriteTarget, 'protocol' | 'metadata'>): boolean {
  return (
    (t.metadata.configuration['delta.enableInCommitTimestamps'] ?? '').toLowerCase() === 'true' &&
    t.protocol.minWriterVersion === 7 &&
    (t.protocol.writerFeatures ?? []).includes('inCommitTimestamp')
  );
}
