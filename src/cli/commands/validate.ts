import {
  type Dataset,
  type ExpectationAction,
  formatError,
  formatLocation,
  type ResolvedInput,
  type SluiceError,
  summarizeWarnings,
  type ValidationResult,
  validatePipeline,
  validationToJson,
} from '../../index.ts';
import { parseCliArgs } from '../args.ts';
import { type CliCommand, EXIT } from '../command.ts';
import { PIPELINE_OPTIONS, PIPELINE_USAGE, pipelineSelection } from '../pipeline-args.ts';

const USAGE = `Usage: sluice validate [dir] [--format text|json]
       sluice dry-run [dir] [--format text|json]

Loads the pipeline (spec, SQL and TypeScript files), resolves the dataflow graph and reports
every error at once, without running anything. [dir] is the pipeline folder or spec file;
without it the spec is searched from the working directory upwards.

Options:
  --format text|json  text (default) or one JSON object for machines
  --verbose           list every streaming table without expectations (rule ST-02)

Exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage error.`;

const ACTION_LABEL = {
  warn: 'warn',
  drop: 'drop row',
  fail: 'fail update',
  quarantine: 'quarantine',
} as const satisfies Record<ExpectationAction, string>;

function kindLabel(d: Dataset): string {
  return d.kind.replace('_', ' ');
}

function inputLabel(i: ResolvedInput): string {
  if (i.kind === 'files') return `${i.streaming ? 'STREAM ' : ''}read_files('${i.path}')`;
  const read = i.streaming ? `STREAM ${i.dataset}` : i.dataset;
  return i.changeFeed ? `${read} (change data feed)` : read;
}

function renderText(r: ValidationResult, verbose: boolean): string {
  const lines: string[] = [];
  const graph = r.graph;
  if (r.spec && graph) {
    lines.push(
      `Pipeline '${r.spec.name}' — ${graph.datasets.size} datasets, ${graph.flows.size} flows, ${r.files.length} files`,
    );
    const b = r.spec.bundle;
    if (b) {
      lines.push(
        `  bundle '${b.bundle}', target '${b.target}'${b.mode ? ` (${b.mode})` : ''}, pipeline '${b.pipeline}'`,
      );
      const only = Object.entries(b.databricks).map(
        ([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
      );
      if (only.length > 0) lines.push(`  on Databricks only (no effect locally): ${only.join(', ')}`);
    }
    lines.push('');
    const listed = new Set<string>();
    const order = [
      ...graph.plan.datasets,
      ...[...graph.datasets.keys()].filter((n) => !graph.plan.datasets.includes(n)),
    ];
    let n = 0;
    for (const name of order) {
      const d = graph.datasets.get(name)!;
      listed.add(name);
      const mark = graph.failed.has(name) ? '  ✗ failed' : '';
      const where = d.location ? `  (${formatLocation(d.location)})` : '';
      lines.push(`${String(++n).padStart(3)}. ${name}  [${kindLabel(d)}]${mark}${where}`);
      for (const f of graph.flows.values()) {
        if (f.target !== name) continue;
        const ins = f.inputs.map(inputLabel);
        const cdc = f.flow.cdc;
        const tag = cdc
          ? ` (AUTO CDC, SCD type ${cdc.scdType}, keys ${cdc.keys.join(', ')})`
          : f.once
            ? ' (once)'
            : f.flow.role === 'append'
              ? ' (append)'
              : '';
        lines.push(`       flow ${f.name}${tag} ← ${ins.length > 0 ? ins.join(', ') : '(no inputs)'}`);
      }
      for (const x of d.expectations)
        lines.push(`       expect ${x.name}: ${x.expression}  → ${ACTION_LABEL[x.action]}`);
    }
    lines.push('');
  }
  const section = (title: string, list: readonly SluiceError[]) => {
    if (list.length === 0) return;
    lines.push(`${title} (${list.length}):`);
    for (const e of list) lines.push(`  ${formatError(e)}`);
    lines.push('');
  };
  section('Errors', r.errors);
  section('Not checked further because an input failed', r.downstream);
  if (r.warnings.length > 0) {
    // Repeated ST-02 warnings (MISSING_EXPECTATIONS) are one line unless --verbose.
    lines.push(`Warnings (${r.warnings.length}):`);
    for (const w of summarizeWarnings(r.warnings, formatError, { verbose })) lines.push(`  ${w}`);
    lines.push('');
  }
  const warn =
    r.warnings.length > 0 ? `, ${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'}` : '';
  const runs = r.graph ? [...r.graph.datasets.keys()].filter((d) => !r.graph!.failed.has(d)).length : 0;
  lines.push(
    r.valid
      ? `✓ valid${warn}`
      : `✗ invalid: ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}${warn}` +
          (r.runnable
            ? ` — each refuses only its dataset: sluice run runs the other ${runs} dataset${runs === 1 ? '' : 's'}`
            : ''),
  );
  return `${lines.join('\n')}\n`;
}

export const validateCommand: CliCommand = {
  name: 'validate',
  aliases: ['dry-run'],
  summary: 'check a pipeline and print its dataflow graph (alias: dry-run)',
  usage: `${USAGE}\n\nPipeline selection:\n${PIPELINE_USAGE.join('\n')}`,
  async run(args, io) {
    const { values, positionals } = parseCliArgs(args, {
      format: { type: 'string', default: 'text' },
      verbose: { type: 'boolean', default: false },
      ...PIPELINE_OPTIONS,
    });
    const selected = pipelineSelection(values, positionals[0], io.cwd);
    if (positionals.length > 1) {
      io.stderr.write(`USAGE: expected at most one pipeline folder, got ${positionals.length}\n${USAGE}\n`);
      return EXIT.usage;
    }
    if (values.format !== 'text' && values.format !== 'json') {
      io.stderr.write(`USAGE: --format must be 'text' or 'json', not '${values.format}'\n`);
      return EXIT.usage;
    }
    const result = await validatePipeline(selected.dir, { cwd: io.cwd, ...selected.bundle });
    if (values.format === 'json') io.stdout.write(`${JSON.stringify(validationToJson(result), null, 2)}\n`);
    else io.stdout.write(renderText(result, values.verbose));
    return result.valid ? EXIT.ok : EXIT.failed;
  },
};
