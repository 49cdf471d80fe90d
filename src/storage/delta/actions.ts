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
  readonly deletionVector?: unknown;
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
  | { readonly domainMetadata: unknown };
