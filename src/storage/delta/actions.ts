/**
 * Delta Lake log actions, as they appear (one JSON object per line) in `_delta_log/*.json`
 * and as rows of a classic Parquet checkpoint. Field names follow the Delta protocol exactly.
 */

export interface ProtocolAction {
  readonly minReaderVersion: number;
  readonly minWriterVersion: number;
  readonly readerFeatures?: readonly string[];
  readonly writerFeatures?: readonly string[];
}

export interface FormatSpec {
  readonly provider: string;
  readonly options: Readonly<Record<string, string>>;
}

export interface MetadataAction {
  readonly id: string;
  readonly name?: string | null;
  readonly description?: string | null;
  readonly format: FormatSpec;
  /** Spark StructType as JSON text. */
  readonly schemaString: string;
  readonly partitionColumns: readonly string[];
  readonly configuration: Readonly<Record<string, string>>;
  readonly createdTime?: number | null;
}

/** Per-file statistics; `stats` in an add action is this object serialized as JSON. */
export interface FileStats {
  readonly numRecords: number;
  readonly minValues?: Readonly<Record<string, unknown>>;
  readonly maxValues?: Readonly<Record<string, unknown>>;
  readonly nullCount?: Readonly<Record<string, unknown>>;
}

export interface AddAction {
  /** Relative to the table root and URL-encoded (RFC 2396), or an absolute URI. */
  readonly path: string;
  /** Partition column → serialized value; null for a null partition value. */
  readonly partitionValues: Readonly<Record<string, string | null>>;
  readonly size: number;
  readonly modificationTime: number;
  readonly dataChange: boolean;
  readonly stats?: string | null;
  readonly tags?: Readonly<Record<string, string>> | null;
  /** A `DeletionVectorDescriptor` (deletion-vectors.ts): rows of the file no longer in the table. */
  readonly deletionVector?: unknown;
  /** Row tracking: the row id of the file's first row. */
  readonly baseRowId?: number | null;
  /** Row tracking: the version that first added the file. */
  readonly defaultRowCommitVersion?: number | null;
  readonly clusteringProvider?: string | null;
}

export interface RemoveAction {
  readonly path: string;
  readonly deletionTimestamp?: number | null;
  readonly dataChange: boolean;
  readonly extendedFileMetadata?: boolean | null;
  readonly partitionValues?: Readonly<Record<string, string | null>> | null;
  readonly size?: number | null;
  readonly deletionVector?: unknown;
}

export interface CdcAction {
  readonly path: string;
  readonly partitionValues: Readonly<Record<string, string | null>>;
  readonly size: number;
  readonly dataChange: boolean;
  readonly tags?: Readonly<Record<string, string>> | null;
}

/** Idempotent-write marker: application `appId` has committed its batch `version`. */
export interface TxnAction {
  readonly appId: string;
  readonly version: number;
  readonly lastUpdated?: number | null;
}

export interface CommitInfoAction {
  readonly timestamp?: number;
  readonly operation?: string;
  readonly operationParameters?: Readonly<Record<string, unknown>>;
  readonly operationMetrics?: Readonly<Record<string, unknown>>;
  readonly isBlindAppend?: boolean;
  readonly readVersion?: number;
  readonly engineInfo?: string;
  readonly [key: string]: unknown;
}

/** One line of a commit file. Exactly one key is present. */
export type Action =
  | { readonly protocol: ProtocolAction }
  | { readonly metaData: MetadataAction }
  | { readonly add: AddAction }
  | { readonly remove: RemoveAction }
  | { readonly cdc: CdcAction }
  | { readonly txn: TxnAction }
  | { readonly commitInfo: CommitInfoAction }
  | { readonly domainMetadata: DomainMetadataAction };

/** Configuration of a metadata domain (e.g. `delta.clustering`, `delta.rowTracking`). */
export interface DomainMetadataAction {
  readonly domain: string;
  /** A JSON document as text. */
  readonly configuration: string;
  /** True: a tombstone that removes the domain. */
  readonly removed: boolean;
}

/** First action of a v2 spec checkpoint: the version it holds. */
export interface CheckpointMetadataAction {
  readonly version: number;
  readonly tags?: Readonly<Record<string, string>> | null;
}

/** A v2 spec checkpoint's reference to a sidecar file (Parquet, under `_delta_log/_sidecars/`) of file actions. */
export interface SidecarAction {
  /** URI-encoded; usually the bare file name. */
  readonly path: string;
  readonly sizeInBytes: number;
  readonly modificationTime: number;
  readonly tags?: Readonly<Record<string, string>> | null;
}

/** One row of a v2 spec checkpoint: any action a snapshot holds, or the two only checkpoints have. */
export type CheckpointAction =
  | Action
  | { readonly checkpointMetadata: CheckpointMetadataAction }
  | { readonly sidecar: SidecarAction };
