import type { SourceLocation } from '../errors/index.ts';
import type { CompiledQuery } from './query.ts';

/**
 * A flow writes the result of a query into a target dataset.
 * `defining`: the query given in the dataset's own definition (`CREATE … AS query`, a TS
 * table's query). `append`: `CREATE FLOW f AS INSERT INTO t BY NAME query` / `appendFlow`.
 */
export interface Flow {
  readonly kind: 'flow';
  readonly name: string;
  readonly target: string;
  readonly role: 'defining' | 'append';
  readonly query: CompiledQuery;
  /** Reader options that belong to the flow (e.g. `skipChangeCommits`). */
  readonly options: Readonly<Record<string, string>>;
  readonly language: 'sql' | 'ts';
  readonly location?: SourceLocation;
}
