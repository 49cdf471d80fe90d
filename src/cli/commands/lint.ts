import {
  formatLintText,
  lintFailed,
  lintPipelines,
  lintResultToSarif,
  lintToJson,
  SluiceError,
} from '../../index.ts';
import { parseCliArgs } from '../args.ts';
import { type CliCommand, EXIT } from '../command.ts';
import { pipelineSelection } from '../pipeline-args.ts';

const FORMATS = ['text', 'json', 'sarif'] as const;

const USAGE = `Usage: sluice lint [path…] [--format text|json|sarif] [--verbose] [-t target] [--var name=value]

Checks pipelines against the streaming standard's golden rules (ST-01…ST-06) and its
checklists: sluice pipelines (spark-pipeline.yml), Databricks bundles (pipelines and jobs),
SQL and Python files and notebooks, YAML fragments. [path…] are files or folders (default: the
current folder). Rules are described in docs/rules/.

Options:
  --format text|json|sarif  text (default: file:line:col rule severity message, and the fix),
                            one JSON object, or SARIF 2.1.0 for GitHub code scanning
  --verbose                 list every finding of a rule reported 3 times or more
  -t, --target T            the bundle target (default: the one marked default: true)
      --var name=val        a bundle variable (repeatable)

Severities: per rule in .sluicelint.yml or the spec's lint: key (rules: {ST-02: warning}, off,
note, warning or error). Suppress one finding with a reason, in the file's comment syntax:
  -- sluice-lint: disable ST-02 <reason>      # sluice-lint: disable-file ST-01 <reason>

Exit codes: 0 no error-severity finding, 1 errors (or paths that could not be linted), 2 usage error.`;

export const lintCommand: CliCommand = {
  name: 'lint',
  summary: 'check pipelines, bundles, SQL and Python against the streaming golden rules (ST-01…ST-06)',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCliArgs(args, {
      format: { type: 'string', default: 'text' },
      verbose: { type: 'boolean', default: false },
      target: { type: 'string', short: 't' },
      var: { type: 'string', multiple: true },
    });
    const format = values.format as (typeof FORMATS)[number];
    if (!FORMATS.includes(format))
      throw new SluiceError('USAGE', `--format must be one of ${FORMATS.join(', ')}, not '${values.format}'`);
    const { bundle } = pipelineSelection(values, undefined, io.cwd);
    const result = await lintPipelines(positionals, { cwd: io.cwd, bundle });
    if (format === 'json') io.stdout.write(`${JSON.stringify(lintToJson(result), null, 2)}\n`);
    else if (format === 'sarif') io.stdout.write(`${JSON.stringify(lintResultToSarif(result), null, 2)}\n`);
    else io.stdout.write(formatLintText(result, { verbose: values.verbose }));
    return lintFailed(result) ? EXIT.failed : EXIT.ok;
  },
};
