import { isQuarantineTable } from '../graph/index.ts';
import type { Dataset, Flow } from '../model/index.ts';
import type { PythonDefinitions } from '../python/index.ts';
import type { SqlDeclarations } from '../sql/index.ts';
import type { RawFinding } from './findings.ts';

/**
 * Rules over the datasets of one unit — a pipeline (every library file), or a loose SQL or
 * Python file on its own:
 * - ST-02: a streaming table without expectations (quarantine tables excepted: they keep the
 *   failing rows on purpose — the same exception `validate` makes);
 * - SDP-CDF: a stored table another dataset of the unit reads, without the change data feed;
 * - SDP-QUARANTINE (pipelines only): rows dropped by expectations and no quarantine table.
 */

/** What lint needs of a dataset, whatever language declared it. `file` is absolute. */
export interface DatasetFact {
  readonly name: string;
  readonly kind: Dataset['kind'];
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly actions: readonly ('warn' | 'drop' | 'fail' | 'quarantine')[];
  readonly properties: Readonly<Record<string, string>>;
}

/** A dependency: `reader` (a dataset or flow target) reads `name`. */
export interface ReadFact {
  readonly reader: string;
  readonly name: string;
}

/** The datasets of a pipeline or of one loose file. */
export interface CodeUnit {
  readonly kind: 'pipeline' | 'file';
  /** The pipeline's name, or the file. */
  readonly label: string;
  readonly datasets: readonly DatasetFact[];
  readonly reads: readonly ReadFact[];
}

/** Datasets and reads of SQL/TypeScript definitions; locations are relative to `root`. */
export function factsFromModel(
  datasets: readonly Dataset[],
  flows: readonly Flow[],
  absolute: (file: string) => string,
  fallbackFile: string,
): { datasets: DatasetFact[]; reads: ReadFact[] } {
  return {
    datasets: datasets.map((d) => ({
      name: d.name,
      kind: d.kind,
      file: d.location ? absolute(d.location.file) : fallbackFile,
      line: d.location?.line ?? 1,
      column: d.location?.column ?? 1,
      actions: d.expectations.map((x) => x.action),
      properties: d.properties,
    })),
    reads: flows.flatMap((f) =>
      f.query.inputs.flatMap((i) => (i.kind === 'dataset' ? [{ reader: f.target, name: i.name }] : [])),
    ),
  };
}

/** Datasets and reads of SQL declarations (read without compiling; see `readSqlDeclarations`). */
export function factsFromSql(
  decl: SqlDeclarations,
  absolute: (file: string) => string,
  fallbackFile: string,
): { datasets: DatasetFact[]; reads: ReadFact[] } {
  return {
    datasets: factsFromModel(decl.datasets, [], absolute, fallbackFile).datasets,
    reads: decl.flows.flatMap((f) => f.reads.map((r) => ({ reader: f.target, name: r.name }))),
  };
}

/** Datasets and reads of a Python file's definitions. */
export function factsFromPython(
  defs: PythonDefinitions,
  file: string,
): { datasets: DatasetFact[]; reads: ReadFact[] } {
  return {
    datasets: defs.datasets.map((d) => ({
      name: d.name,
      kind: d.kind,
      file,
      line: d.position.line,
      column: d.position.column,
      actions: d.expectations.map((x) => x.action),
      properties: d.properties,
    })),
    reads: [
      ...defs.datasets.flatMap((d) => d.reads.map((r) => ({ reader: d.name, name: r.name }))),
      ...defs.flows.flatMap((f) => f.reads.map((r) => ({ reader: f.target, name: r.name }))),
    ],
  };
}

/** A name as datasets are matched: its last part (`cat.schema.t`, `LIVE.t` → `t`), lower case. */
function key(name: string): string {
  return (name.split('.').pop() ?? name).replace(/`/g, '').toLowerCase();
}

function isStoredKind(kind: Dataset['kind']): boolean {
  return kind === 'streaming_table' || kind === 'materialized_view';
}

/** ST-02, SDP-CDF and (for pipelines) SDP-QUARANTINE over one unit. */
export function datasetFindings(unit: CodeUnit): RawFinding[] {
  const out: RawFinding[] = [];
  for (const d of unit.datasets) {
    if (d.kind !== 'streaming_table' || d.actions.length > 0 || isQuarantineTable(d)) continue;
    out.push({
      rule: 'ST-02',
      message: `streaming table '${d.name}' declares no expectations`,
      file: d.file,
      line: d.line,
      column: d.column,
      dataset: d.name,
    });
  }
  const consumers = new Map<string, Set<string>>();
  for (const r of unit.reads) {
    if (key(r.reader) === key(r.name)) continue;
    const set = consumers.get(key(r.name)) ?? new Set<string>();
    set.add(r.reader);
    consumers.set(key(r.name), set);
  }
  for (const d of unit.datasets) {
    const readers = consumers.get(key(d.name));
    if (!isStoredKind(d.kind) || !readers || isQuarantineTable(d)) continue;
    const cdf = Object.entries(d.properties).find(([k]) => k.toLowerCase() === 'delta.enablechangedatafeed');
    if (cdf && cdf[1].toLowerCase() === 'true') continue;
    const names = [...readers].sort();
    out.push({
      rule: 'SDP-CDF',
      message: `table '${d.name}' is read by ${names.map((n) => `'${n}'`).join(', ')} but does not enable the change data feed`,
      file: d.file,
      line: d.line,
      column: d.column,
      dataset: d.name,
    });
  }
  if (unit.kind === 'pipeline') {
    const dropping = unit.datasets.filter((d) => d.actions.includes('drop'));
    const kept =
      unit.datasets.some((d) => isQuarantineTable(d)) ||
      unit.datasets.some((d) => d.actions.includes('quarantine'));
    const first = dropping[0];
    if (first && !kept)
      out.push({
        rule: 'SDP-QUARANTINE',
        message: `pipeline '${unit.label}' drops rows (${dropping.map((d) => `'${d.name}'`).join(', ')}) but keeps no quarantine table for them`,
        file: first.file,
        line: first.line,
        column: first.column,
        dataset: first.name,
      });
  }
  return out;
}

/** Whether a unit declares any expectation (the ADVANCED edition enforces them). */
export function hasExpectations(unit: CodeUnit): boolean {
  return unit.datasets.some((d) => d.actions.length > 0);
}

/** Whether a unit streams: a streaming table, or a streaming read. */
export function isStreamingUnit(unit: CodeUnit): boolean {
  return unit.datasets.some((d) => d.kind === 'streaming_table');
}
