import type { ExternalTable, Flow, PipelineDefinitions, QueryInput } from '../model/index.ts';

/**
 * Binds reads of tables outside the pipeline to the local data the spec's `external_tables`
 * names: a dataset input whose written name (without backticks, compared case-insensitively as
 * Spark compares identifiers) is an external table's becomes a files input — the Delta table at
 * its path (as ``delta.`path` `` reads it, incrementally when streamed) or its files (as
 * `read_files` reads them) — keeping the read's streaming-ness, watermark and location. Runs once,
 * before names are resolved, so every later stage sees a files input. An external name is always
 * qualified, so it never shadows a pipeline dataset's own (unqualified) name; a name matching no
 * external table is left for the dataset resolution.
 */
export function bindExternalTables(definitions: PipelineDefinitions): PipelineDefinitions {
  const tables = definitions.externalTables ?? [];
  if (tables.length === 0) return definitions;
  const byName = new Map(tables.map((t) => [t.name.toLowerCase(), t]));
  let changed = false;
  const flows = definitions.flows.map((f): Flow => {
    let bound = false;
    const inputs = f.query.inputs.map((input): QueryInput => {
      const t = input.kind === 'dataset' ? byName.get(input.name.toLowerCase()) : undefined;
      if (!t || input.kind !== 'dataset') return input;
      bound = true;
      return filesInputOf(t, input);
    });
    if (!bound) return f;
    changed = true;
    return Object.freeze({ ...f, query: Object.freeze({ ...f.query, inputs: Object.freeze(inputs) }) });
  });
  return changed ? { ...definitions, flows } : definitions;
}

function filesInputOf(t: ExternalTable, read: Extract<QueryInput, { kind: 'dataset' }>): QueryInput {
  return Object.freeze({
    kind: 'files',
    path: t.path,
    format: t.format,
    options: t.options,
    streaming: read.streaming,
    reader: t.format === 'delta' ? 'path' : 'read_files',
    ...(read.watermark ? { watermark: read.watermark } : {}),
    ...(read.location ? { location: read.location } : {}),
  });
}
