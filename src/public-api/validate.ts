import { queryBindingErrors } from '../engine/index.ts';
import { type ValidationResult, validatePipelineFolder, withRootErrors } from '../graph/index.ts';
import { applyLintSettings } from '../lint/index.ts';
import type { LoadSpecOptions } from '../spec/index.ts';
import { inSession, type Session } from './session.ts';

export interface ValidateOptions extends LoadSpecOptions {
  readonly session?: Session;
  /**
   * Bind each flow's query against its inputs' schemas where they are known (default true; see
   * {@link bindPipelineQueries}). False validates the graph alone, without reading any data file.
   */
  readonly bindQueries?: boolean;
}

/**
 * Loads the pipeline in `dir` (a folder or spec file; without it the spec is searched from
 * `cwd` upwards) and validates its dataflow graph: every error at once, root causes apart from
 * their downstream consequences. Never throws for the user's mistakes: a missing or invalid spec
 * is the single error of an invalid result. Rule ST-02 (MISSING_EXPECTATIONS) follows the
 * pipeline's lint settings (see `applyLintSettings`). Unless `bindQueries` is false, a runnable
 * pipeline's queries are also bound against their inputs' known schemas ({@link bindPipelineQueries}).
 */
export function validatePipeline(dir?: string, options: ValidateOptions = {}): Promise<ValidationResult> {
  return inSession(options.session, async (s) => {
    const result = await validatePipelineFolder(dir, { ...options, sql: s.sql, db: s.db });
    const bound = options.bindQueries === false ? result : await bindPipelineQueries(result, { session: s });
    return applyLintSettings(bound, 'validate');
  });
}

/**
 * `result` with its binding errors: each flow of a runnable graph bound, as the run binds it,
 * over empty relations with its inputs' schemas — file sources by the run's own inference,
 * Delta tables from their logs, pipeline datasets from their flows' bound queries, in plan
 * order; flows whose inputs are not known yet are skipped (see engine/validation). An error is
 * the run's (code, dataset, `file:line`); its readers get UPSTREAM_FAILED notes.
 */
export function bindPipelineQueries(
  result: ValidationResult,
  options: { readonly session?: Session } = {},
): Promise<ValidationResult> {
  const { graph, spec } = result;
  if (!graph?.execution || !spec) return Promise.resolve(result);
  const plan = graph.execution;
  return inSession(options.session, async (s) =>
    withRootErrors(
      result,
      await queryBindingErrors({ root: spec.root, storage: spec.storage, plan, db: s.db, sql: s.sql }),
    ),
  );
}

/** The `--format json` document. Stable field names; errors are SluiceError.toJSON(). */
export function validationToJson(r: ValidationResult): Record<string, unknown> {
  const g = r.graph;
  return {
    valid: r.valid,
    runnable: r.runnable,
    pipeline: r.spec
      ? { name: r.spec.name, root: r.spec.root, specFile: r.spec.specFile, storage: r.spec.storage }
      : null,
    files: r.files,
    datasets: g
      ? [...g.datasets.values()].map((d) => ({
          name: d.name,
          kind: d.kind,
          ...(d.schema !== undefined ? { schema: d.schema } : {}),
          language: d.language,
          location: d.location ?? null,
          failed: g.failed.has(d.name),
          dependsOn: [...new Set(g.edges.filter((e) => e.target === d.name).map((e) => e.input))],
          flows: [...g.flows.values()].filter((f) => f.target === d.name).map((f) => f.name),
          expectations: d.expectations.map((x) => ({
            name: x.name,
            expression: x.expression,
            action: x.action,
          })),
        }))
      : [],
    flows: g
      ? [...g.flows.values()].map((f) => ({
          name: f.name,
          target: f.target,
          role: f.flow.role,
          streaming: f.streaming,
          once: f.once,
          ...(f.flow.cdc
            ? {
                autoCdc: {
                  keys: f.flow.cdc.keys,
                  sequenceBy: f.flow.cdc.sequenceBy,
                  scdType: f.flow.cdc.scdType,
                },
              }
            : {}),
          inputs: f.inputs.map((i) =>
            i.kind === 'files'
              ? { kind: 'files', path: i.path, format: i.format, streaming: i.streaming }
              : {
                  kind: 'dataset',
                  name: i.dataset,
                  streaming: i.streaming,
                  effectiveStreaming: i.effectiveStreaming,
                },
          ),
        }))
      : [],
    plan: g ? g.plan : { datasets: [], flows: [] },
    errors: r.errors.map((e) => e.toJSON()),
    downstream: r.downstream.map((e) => e.toJSON()),
    warnings: r.warnings.map((e) => e.toJSON()),
  };
}
