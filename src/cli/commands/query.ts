import { formatRows, OUTPUT_FORMATS, type OutputFormat, query, SluiceError } from '../../index.ts';
import { parseCliArgs } from '../args.ts';
import { type CliCommand, EXIT } from '../command.ts';
import { PIPELINE_OPTIONS, PIPELINE_USAGE, pipelineSelection } from '../pipeline-args.ts';

export const queryCommand: CliCommand = {
  name: 'query',
  summary: 'Run read-only SQL over a pipeline (tables, event_log, system.lakeflow.*) or Delta tables by path',
  usage: [
    'Usage: sluice query [--pipeline dir] [--format table|json|csv] [--allow-files] "<sql>"',
    '',
    'Over a pipeline (--pipeline dir, or the spec found from the current folder), the SQL is',
    'Spark SQL as in query bodies and may name:',
    '  the pipeline tables      silver_events, schema.table, <table>_quarantine',
    '  the event log            event_log',
    '  Lakeflow system views    system.lakeflow.pipeline_events (one row per update),',
    '                           system.lakeflow.flow_progress (one row per expectation per flow completion)',
    'Without a pipeline, the SQL is DuckDB SQL. Either way a Delta table can be named by path,',
    'Spark-style: delta.`./path/to/table`, optionally followed by VERSION AS OF <n>.',
    'Only read-only statements run (QUERY_READ_ONLY otherwise), and they read only the pipeline',
    "and the Delta tables named by path unless --allow-files (DuckDB's read_csv, read_parquet, …",
    'on any file).',
    '',
    'Options:',
    '  --pipeline dir           the pipeline folder (or spec file)',
    '  --format table|json|csv  output format (default: table); json prints one array of row objects',
    '  --allow-files            let the SQL read any file (read_csv, read_json, read_parquet, …)',
    '',
    'Pipeline selection:',
    ...PIPELINE_USAGE,
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseCliArgs(args, {
      format: { type: 'string', short: 'f' },
      'allow-files': { type: 'boolean' },
      ...PIPELINE_OPTIONS,
    });
    const selected = pipelineSelection(values, undefined, io.cwd);
    const format = (values.format ?? 'table') as OutputFormat;
    if (!OUTPUT_FORMATS.includes(format)) {
      throw new SluiceError(
        'USAGE',
        `--format must be one of ${OUTPUT_FORMATS.join(', ')} (got '${values.format}')`,
      );
    }
    if (positionals.length !== 1 || (positionals[0] ?? '').trim() === '') {
      throw new SluiceError(
        'USAGE',
        'expected exactly one SQL argument: sluice query [--pipeline dir] [--format table|json|csv] "<sql>"',
      );
    }
    const result = await query(positionals[0] as string, {
      cwd: io.cwd,
      ...(selected.dir !== undefined ? { pipeline: selected.dir } : {}),
      bundle: selected.bundle,
      ...(values['allow-files'] ? { allowFiles: true } : {}),
    });
    io.stdout.write(formatRows(result, format));
    return EXIT.ok;
  },
};
