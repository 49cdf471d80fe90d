import { SluiceError } from '../../errors/index.ts';
import { formatRows, OUTPUT_FORMATS, type OutputFormat, runQuery } from '../../query/index.ts';
import { parseCliArgs } from '../args.ts';
import { type CliCommand, EXIT } from '../command.ts';

export const queryCommand: CliCommand = {
  name: 'query',
  summary: 'Run read-only SQL over Delta tables (delta.`path` [VERSION AS OF n])',
  usage: [
    'Usage: sluice query [--format table|json|csv] "<sql>"',
    '',
    'Runs DuckDB SQL. Name a Delta table by path, Spark-style: delta.`./path/to/table`,',
    'optionally followed by VERSION AS OF <n> for time travel.',
    '',
    'Options:',
    '  --format table|json|csv  output format (default: table); json prints one array of row objects',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseCliArgs(args, { format: { type: 'string', short: 'f' } });
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
        'expected exactly one SQL argument: sluice query [--format table|json|csv] "<sql>"',
      );
    }
    const result = await runQuery(positionals[0] as string, { cwd: io.cwd });
    io.stdout.write(formatRows(result, format));
    return EXIT.ok;
  },
};
