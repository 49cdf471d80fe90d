import type { SourceLocation } from '../errors/index.ts';
import type { Expectation } from './expectation.ts';

export type DatasetKind = 'streaming_table' | 'materialized_view' | 'temporary_view' | 'persisted_view';

export const DATASET_KINDS: readonly DatasetKind[] = [
  'streaming_table',
  'materialized_view',
  'temporary_view',
  'persisted_view',
];

/** A declared column: from a SQL column list or a TS `schema` option. Types are Spark DDL. */
export interface ColumnDefinition {
  readonly name: string;
  readonly type?: string;
  readonly nullable: boolean;
  readonly comment?: string;
}

/** Where a definition came from. */
export type SourceLanguage = 'sql' | 'ts';

/**
 * A dataset node: what exists, not how it is computed (that is its flows).
 * `name` is unqualified; `schema` is the database it lives in (spec `schema`/`database`,
 * `USE SCHEMA`, or a qualified name).
 */
export interface Dataset {
  readonly kind: DatasetKind;
  readonly name: string;
  readonly schema?: string;
  readonly comment?: string;
  readonly properties: Readonly<Record<string, string>>;
  readonly partitionBy: readonly string[];
  readonly clusterBy: readonly string[];
  readonly columns?: readonly ColumnDefinition[];
  readonly expectations: readonly Expectation[];
  /** `CREATE PRIVATE …` / `private: true`: not published outside the pipeline. */
  readonly private: boolean;
  readonly language: SourceLanguage;
  readonly location?: SourceLocation;
}

/** Whether a dataset is stored as a Delta table (streaming tables and materialized views); views are inlined. */
export function isStored(d: Pick<Dataset, 'kind'>): boolean {
  switch (d.kind) {
    case 'streaming_table':
    case 'materialized_view':
      return true;
    case 'temporary_view':
    case 'persisted_view':
      return false;
    default: {
      const never: never = d.kind;
      return never;
    }
  }
}
