import { relative } from 'node:path';
import { type ExportTarget, exportPipeline, SluiceError } from '../../index.ts';
import { parseCliArgs } from '../args.ts';
import { type CliCommand, EXIT } from '../command.ts';
import { PIPELINE_OPTIONS, PIPELINE_USAGE, pipelineSelection } from '../pipeline-args.ts';

const USAGE = `Usage: sluice export databricks|spark [dir] --out DIR

Writes the pipeline in dir (default: found from the current folder) where it can outgrow one
machine, into the new or empty folder DIR:
  databricks  a Databricks Asset Bundle (databricks.yml, serverless, dev and prod targets) with
              the pipeline's SQL; ON VIOLATION QUARANTINE becomes DROP ROW plus a
              <name>_quarantine table, TypeScript datasets become SQL
  spark       a spark-pipeline.yml project for open-source Spark declarative pipelines, with
              expectations lowered to filters and checks
Everything the export changed or could not carry is listed.`;

const TARGETS: readonly ExportTarget[] = ['databricks', 'spark'];

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'write the pipeline as a Databricks Asset Bundle or an open-source Spark pipeline project',
  usage: `${USAGE}\n\nPipeline selection:\n${PIPELINE_USAGE.join('\n')}`,
  async run(args, io) {
    const { values, positionals } = parseCliArgs(args, {
      out: { type: 'string', short: 'o' },
      ...PIPELINE_OPTIONS,
    });
    const [to, dir, ...rest] = positionals;
    if (!TARGETS.includes(to as ExportTarget) || rest.length > 0)
      throw new SluiceError('USAGE', `expected: sluice export ${TARGETS.join('|')} [dir] --out DIR`);
    if (values.out === undefined)
      throw new SluiceError('USAGE', 'missing --out DIR: the folder to write the export to');
    const selected = pipelineSelection(values, dir, io.cwd);
    const result = await exportPipeline(selected.dir, {
      to: to as ExportTarget,
      out: values.out,
      cwd: io.cwd,
      bundle: selected.bundle,
    });
    const shown = relative(io.cwd, result.out) || '.';
    io.stdout.write(`Exported to ${shown}:\n${result.files.map((f) => `  ${f}`).join('\n')}\n`);
    if (result.notes.length > 0)
      io.stdout.write(`\nChanged or not carried:\n${result.notes.map((n) => `  - ${n}`).join('\n')}\n`);
    return EXIT.ok;
  },
};
