/**
 * Which Delta protocol features this reader understands. A table needing anything else is
 * refused with a coded error before a single row is read, never misread.
 */
import { SluiceError } from '../../errors/index.ts';
import type { MetadataAction, ProtocolAction } from './actions.ts';
import { columnMappingMode } from './column-mapping.ts';

/** Highest `minReaderVersion` sluice reads (3 = table features). */
const MAX_READER_VERSION = 3;

/**
 * Reader features (protocol 3) sluice reads, and how:
 * - `timestampNtz`: a column type; `vacuumProtocolCheck`: only constrains vacuum;
 * - `deletionVectors`: rows a file's vector holds are left out (deletion-vectors.ts);
 * - `columnMapping`: columns found by physical name or field id (column-mapping.ts);
 * - `v2Checkpoint`: UUID-named checkpoints and sidecars (v2-checkpoint.ts);
 * - `typeWidening`: files written before a widening are cast to the table type;
 * - `variantType`: variant columns read as their JSON text.
 * `geospatial` is refused (see NEEDED): no table sluice can check its reading against has data.
 * `-preview` names are the same features as written by preview releases.
 */
const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set([
  'timestampNtz',
  'vacuumProtocolCheck',
  'deletionVectors',
  'columnMapping',
  'v2Checkpoint',
  'typeWidening',
  'typeWidening-preview',
  'variantType',
  'variantType-preview',
]);

/** What a reader would need for reader features sluice refuses. */
const NEEDED: Readonly<Record<string, string>> = {
  geospatial:
    'geometry and geography columns (Parquet GEOMETRY/GEOGRAPHY); read the table with Databricks or Spark, or copy it without them',
  variantShredding: 'reading shredded variant columns (typed_value); unshred them by rewriting the table',
  'variantShredding-preview':
    'reading shredded variant columns (typed_value); unshred them by rewriting the table',
  catalogManaged: "the catalog's ratified commits; read the table through its catalog (Unity Catalog)",
  'catalogOwned-preview':
    "the catalog's ratified commits; read the table through its catalog (Unity Catalog)",
};

function unsupportedFeature(feature: string, table: string, detail?: string): SluiceError {
  const need = NEEDED[feature] ?? 'a reader that knows this feature (Spark, Databricks or delta-kernel)';
  return new SluiceError(
    'DELTA_UNSUPPORTED_FEATURE',
    `Delta table at ${table} uses reader feature '${feature}'${detail ? ` (${detail})` : ''}, which sluice does not support; reading it needs ${need}`,
    { params: { feature, table } },
  );
}

/**
 * Throws unless sluice can read a table with this protocol and metadata:
 * DELTA_UNSUPPORTED_PROTOCOL for minReaderVersion > 3, DELTA_UNSUPPORTED_FEATURE for a reader
 * feature sluice does not know, a column mapping mode other than none/name/id, or data files
 * in a format other than Parquet.
 */
export function assertReadable(
  protocol: ProtocolAction,
  metadata: MetadataAction,
  table: string,
  version?: number,
): void {
  if (!(protocol.minReaderVersion >= 1 && protocol.minReaderVersion <= MAX_READER_VERSION)) {
    throw new SluiceError(
      'DELTA_UNSUPPORTED_PROTOCOL',
      `Delta table at ${table}${version !== undefined ? ` (version ${version})` : ''} requires reader version ${protocol.minReaderVersion}; sluice reads up to ${MAX_READER_VERSION}`,
      { params: { table, minReaderVersion: protocol.minReaderVersion, version } },
    );
  }
  if (protocol.minReaderVersion === 3) {
    for (const f of protocol.readerFeatures ?? []) {
      if (!SUPPORTED_READER_FEATURES.has(f)) throw unsupportedFeature(f, table);
    }
  }
  const mode = columnMappingMode(protocol, metadata);
  if (mode !== 'none' && mode !== 'name' && mode !== 'id')
    throw unsupportedFeature('columnMapping', table, `mode '${mode}'`);
  const provider = metadata.format?.provider ?? 'parquet';
  if (provider !== 'parquet') throw unsupportedFeature(`format:${provider}`, table);
}

/** True when `delta.enableChangeDataFeed` is set to true in the table configuration. */
export function isChangeDataFeedEnabled(metadata: MetadataAction): boolean {
  return (metadata.configuration['delta.enableChangeDataFeed'] ?? '').toLowerCase() === 'true';
}
