/**
 * The validated dataflow graph as the page draws it: datasets, the file sources flows read, and
 * edges (streaming or batch reads).
 */
import { relative } from 'node:path';
import type { Dataset, ValidationResult } from '../index.ts';
import type { DatasetJson, EdgeJson, GraphJson, GraphLayoutJson, SourceJson } from './dashboard-types.ts';
import { layoutGraph } from './graph-layout.ts';
import { errorJson } from './update-status.ts';

/** The Delta table name a stored dataset has under the pipeline's storage (`storedTables` naming). */
export function tableName(d: Pick<Dataset, 'name' | 'schema'>): string {
  return d.schema && d.schema !== 'default' ? `${d.schema}.${d.name}` : d.name;
}

function isStoredKind(kind: Dataset['kind']): boolean {
  return kind === 'streaming_table' || kind === 'materialized_view';
}

/** Where the pipeline folder is shown from: relative to `cwd` when inside it. */
export function displayFolder(folder: string, cwd: string): string {
  const rel = relative(cwd, folder);
  return rel === '' ? '.' : rel.startsWith('..') ? folder : rel;
}

/**
 * Builds the graph JSON from a validation result (an unloadable spec gives an empty graph);
 * `previous` is the layout of the last graph, reused when the nodes and edges did not change.
 */
export function graphJson(v: ValidationResult, cwd: string, previous?: GraphLayoutJson): GraphJson {
  const g = v.graph;
  const datasets: DatasetJson[] = [];
  const sources = new Map<string, SourceJson>();
  const edges: EdgeJson[] = [];
  if (g) {
    for (const d of g.datasets.values()) {
      const stored = isStoredKind(d.kind);
      const quarantines = stored && d.expectations.some((x) => x.action === 'quarantine');
      datasets.push({
        name: d.name,
        kind: d.kind,
        table: stored ? tableName(d) : null,
        comment: d.comment ?? null,
        language: d.language,
        location: d.location ?? null,
        columns: (d.columns ?? []).map((c) => ({ name: c.name, type: c.type ?? null })),
        expectations: d.expectations.map((x) => ({
          name: x.name,
          expression: x.expression,
          action: x.action,
        })),
        properties: d.properties,
        flows: [...g.flows.values()].filter((f) => f.target === d.name).map((f) => f.name),
        failed: g.failed.has(d.name),
        quarantineTable: quarantines ? tableName({ name: `${d.name}_quarantine`, schema: d.schema }) : null,
      });
    }
    const seen = new Set<string>();
    for (const f of g.flows.values()) {
      for (const input of f.inputs) {
        let from: string;
        if (input.kind === 'files') {
          from = `files:${input.format}:${input.path}`;
          if (!sources.has(from)) sources.set(from, { id: from, path: input.path, format: input.format });
        } else from = input.dataset;
        const key = `${from}→${f.target}`;
        if (seen.has(key)) continue;
        seen.add(key);
        edges.push({
          from,
          to: f.target,
          flow: f.name,
          streaming: input.effectiveStreaming,
          source: input.kind === 'files',
        });
      }
    }
  }
  const laidOut = { datasets, sources: [...sources.values()], edges };
  return {
    layout: layoutGraph(laidOut, previous),
    pipeline: {
      name: v.spec?.name ?? '(invalid spec)',
      folder: v.spec ? displayFolder(v.spec.root, cwd) : '',
      storage: v.spec ? displayFolder(v.spec.storage, cwd) : '',
    },
    valid: v.valid,
    runnable: v.runnable,
    datasets,
    sources: [...sources.values()],
    edges,
    errors: [...v.errors, ...v.downstream].map(errorJson),
    warnings: v.warnings.map(errorJson),
    continuous: v.spec?.continuous ?? false,
    stale: false,
  };
}
