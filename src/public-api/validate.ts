import { type ValidationResult, validatePipelineFolder } from '../graph/index.ts';
import { applyLintSettings } from '../lint/index.ts';
import type { LoadSpecOptions } from '../spec/index.ts';
import { inSession, type Session } from './session.ts';

export interface ValidateOptions extends LoadSpecOptions {
  readonly session?: Session;
}

/**
 * Loads the pipeline in `dir` (a folder or spec file; without it the spec is searched from
 * `cwd` upwards) and validates its dataflow graph: every error at once, root causes apart from
 * their downstream consequences. Never throws for the user's mistakes: a missing or invalid spec
 * is the single error of an invalid result. Rule ST-02 (MISSING_EXPECTATIONS) follows the
 * pipeline's lint settings (see `applyLintSettings`).
 */
export function validatePipeline(dir?: string, options: ValidateOptions = {}): Promise<ValidationResult> {
  return inSession(options.session, async (s) =>
    applyLintSettings(await validatePipelineFolder(dir, { ...options, sql: s.sql, db: s.db }), 'validate'),
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
