import type { Dataset, Flow } from '../model/index.ts';
import type { PipelineSpec } from '../spec/index.ts';

/** What an export starts from: a valid pipeline's spec, definitions and library files. */
export interface ExportInput {
  readonly spec: PipelineSpec;
  readonly datasets: readonly Dataset[];
  readonly flows: readonly Flow[];
  /** Library files, relative to the spec folder, with their text. */
  readonly files: ReadonlyMap<string, string>;
}

/** The files an export writes (paths relative to the output folder) and what it changed or could not carry. */
export interface ExportPlan {
  readonly files: readonly { readonly path: string; readonly content: string }[];
  readonly notes: readonly string[];
}

/** A name fit for a bundle or pipeline key: lower-case letters, digits and `_`. */
export function slug(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return s === '' ? 'pipeline' : s;
}

/** The flows into `d`, defining flow first. */
export function flowsInto(input: ExportInput, d: Dataset): Flow[] {
  return input.flows
    .filter((f) => f.target === d.name)
    .sort((a, b) => (a.role === b.role ? 0 : a.role === 'defining' ? -1 : 1));
}

/** Relative read_files paths are local folders: a deployed pipeline needs cloud paths. */
export function localPathNote(input: ExportInput): string[] {
  const paths = new Set<string>();
  for (const f of input.flows)
    for (const i of f.query.inputs)
      if (i.kind === 'files' && !/^[a-z][a-z0-9+.-]*:\//i.test(i.path) && !i.path.startsWith('/'))
        paths.add(i.path);
  return paths.size === 0
    ? []
    : [
        `file inputs read local folders (${[...paths].sort().join(', ')}): point them at cloud storage or a Volume before deploying (a configuration value is the easy place)`,
      ];
}
