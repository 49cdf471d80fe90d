import type { SourceLocation } from '../errors/index.ts';
import type { AutoCdc, AutoCdcFromSnapshot } from './auto-cdc.ts';
import type { CompiledQuery } from './query.ts';

/**
 * A flow writes the result of a query into a target dataset.
 * `defining`: the query given in the dataset's own definition (`CREATE … AS query`, a TS
 * table's query, `APPLY CHANGES INTO t`, `CREATE STREAMING TABLE t FLOW AUTO CDC …`). `append`:
 * `CREATE FLOW f AS INSERT INTO t BY NAME query` / `appendFlow` / `CREATE FLOW f AS AUTO CDC INTO t`.
 * With `cdc`, the flow is an AUTO CDC flow: its query reads change events (see {@link AutoCdc}).
 */
export interface Flow {
  readonly kind: 'flow';
  readonly name: string;
  readonly target: string;
  readonly role: 'defining' | 'append';
  readonly query: CompiledQuery;
  /** Reader options that belong to the flow (e.g. `skipChangeCommits`). */
  readonly options: Readonly<Record<string, string>>;
  /** Present for AUTO CDC / APPLY CHANGES flows. */
  readonly cdc?: AutoCdc;
  /** Present for AUTO CDC FROM SNAPSHOT flows (never with `cdc`). */
  readonly snapshotCdc?: AutoCdcFromSnapshot;
  readonly language: 'sql' | 'ts';
  readonly location?: SourceLocation;
}
