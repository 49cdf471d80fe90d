/**
 * Which Delta protocol features this reader understands. A table needing anything else is
 * refused with a coded error before a single row is read, never misread.
 */
import { SluiceError } from '../../errors/index.ts';
import type { AddAction, MetadataAction, ProtocolAction } from './actions.ts';

/** Highest `minReaderVersion` sluice reads (3 = table features). */
const MAX_READER_VERSION = 3;

/**
 * Reader features (protocol 3) that do not change how rows are read:
 * `timestampNtz` is just a column type; `vacuumProtocolCheck` only constrains vacuum.
 */
const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set(['timestampNtz', 'vacuumProtocolCheck']);

function unsupportedFeature(feature: string, table: string, detail?: string): SluiceError {
  return new SluiceError(
    'DELTA_UNSUPPORTED_FEATURE',
    `Delta table at ${table} uses feature '${feature}'${detail ? ` (${detail})` : ''}, which sluice does not support`,
    { params: { feature, table } },
  );
}

/**
 * Throws unless sluice can read a table with this protocol and metadata:
 * DELTA_UNSUPPORTED_PROTOCOL for minReaderVersion > 3, DELTA_UNSUPPORTED_FEATURE for an unknown
 * reader feature or column mapping (mode other than `none`, at any protocol version).
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
  const mode = metadata.configuration['delta.columnMapping.mode'];
  if (mode !== undefined && mode !== 'none')
    throw unsupportedFeature('columnMapping', table, `mode '${mode}'`);
  const provider = metadata.format?.provider ?? 'parquet';
  if (provider !== 'parquet') throw unsupportedFeature(`format:${provider}`, table);
}

/** Throws DELTA_UNSUPPORTED_FEATURE when a live file carries a deletion vector. */
export function assertNoDeletionVector(add: AddAction, table: string): void {
  if (add.deletionVector !== undefined && add.deletionVector !== null) {
    throw unsupportedFeature('deletionVectors', table, `file ${add.path}`);
  }
}

/** True when `delta.enableChangeDataFeed` is set to true in the table configuration. */
export function isChangeDataFeedEnabled(metadata: MetadataAction): boolean {
  return (metadata.configuration['delta.enableChangeDataFeed'] ?? '').toLowerCase() === 'true';
}
