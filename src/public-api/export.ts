import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { SluiceError } from '../errors/index.ts';
import { type ExportPlan, exportDatabricks, exportSpark } from '../export/index.ts';
import { validatePipelineFolder } from '../graph/index.ts';
import type { BundleSelection } from '../spec/index.ts';
import { inSession, type Session } from './session.ts';

/** Where an export goes: a Databricks Asset Bundle, or an open-source Spark pipeline project. */
export type ExportTarget = 'databricks' | 'spark';

export interface ExportPipelineOptions {
  readonly to: ExportTarget;
  /** The output folder; it must be empty or not exist. */
  readonly out: string;
  /** Where the pipeline is searched from when `dir` is not given (default: the process's cwd). */
  readonly cwd?: string;
  readonly bundle?: BundleSelection;
  readonly session?: Session;
}

/** The files written (relative to `out`) and what the export changed or could not carry. */
export interface ExportResult {
  readonly out: string;
  readonly files: readonly string[];
  readonly notes: readonly string[];
}

/**
 * Exports the pipeline in `dir` so it runs where it outgrows one machine: as a deployable
 * Databricks Asset Bundle or as a project for open-source Spark declarative pipelines. The
 * pipeline must be valid. Nothing is written unless every file can be.
 * @throws SluiceError EXPORT_INVALID_PIPELINE (the validation errors in `params.errors`),
 *   EXPORT_TARGET_NOT_EMPTY.
 */
export function exportPipeline(
  dir: string | undefined,
  options: ExportPipelineOptions,
): Promise<ExportResult> {
  return inSession(options.session, async (session) => {
    const cwd = options.cwd ?? process.cwd();
    const v = await validatePipelineFolder(dir, { cwd, ...options.bundle, sql: session.sql, db: session.db });
    if (!v.valid || !v.spec || !v.graph)
      throw new SluiceError(
        'EXPORT_INVALID_PIPELINE',
        `the pipeline is not valid (${v.errors.length} error${v.errors.length === 1 ? '' : 's'}); run sluice validate and fix it first`,
        { params: { errors: v.errors.map((e) => e.toJSON()) } },
      );
    const spec = v.spec;
    const files = new Map<string, string>();
    for (const f of v.files) files.set(f, await readFile(join(spec.root, f), 'utf8'));
    const input = {
      spec,
      datasets: [...v.graph.datasets.values()],
      flows: [...v.graph.flows.values()].map((f) => f.flow),
      files,
    };
    const plan: ExportPlan = options.to === 'databricks' ? exportDatabricks(input) : exportSpark(input);
    const out = resolve(cwd, options.out);
    const existing = await readdir(out).catch(() => []);
    if (existing.length > 0)
      throw new SluiceError(
        'EXPORT_TARGET_NOT_EMPTY',
        `${options.out} is not empty; export into a new or empty folder`,
        {
          params: { out },
        },
      );
    for (const f of plan.files) {
      await mkdir(dirname(join(out, f.path)), { recursive: true });
      await writeFile(join(out, f.path), f.content);
    }
    return { out, files: plan.files.map((f) => f.path), notes: plan.notes };
  });
}
