import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, SluiceError } from '../../index.ts';
import { DEFAULT_PORT, startDashboard } from '../../server/index.ts';
import { parseCliArgs } from '../args.ts';
import { type CliCommand, EXIT } from '../command.ts';
import { PIPELINE_OPTIONS, PIPELINE_USAGE, pipelineSelection } from '../pipeline-args.ts';

const USAGE = `Usage: sluice ui [pipeline] [--port N] [--host H] [--open]

Serves the pipeline dashboard and prints its URL: the dataflow graph (live while an update
runs, from this page or from another 'sluice run'), the update history and timelines, data
quality with the quarantine browser, the tables (schema, Delta history, rows at any version,
definition) and the event log; and controls to start, refresh, fully refresh and stop updates.
[pipeline] is a pipeline folder or spec file, or a folder with several pipelines below it.
Runs until Ctrl-C.

Options:
  --port N   the port (default ${DEFAULT_PORT}, or the next free one; 0: any free port)
  --host H   the address to bind (default 127.0.0.1; anything else is reachable from other machines)
  --open     open the page in the default browser`;

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return '';
  }
}

/** Opens `url` with the platform's opener; a failure only means the user opens it by hand. */
function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // no opener: the URL is printed
  }
}

export const uiCommand: CliCommand = {
  name: 'ui',
  summary: 'serve the live pipeline dashboard (graph, updates, data quality, tables, event log)',
  usage: `${USAGE}\n\nPipeline selection:\n${PIPELINE_USAGE.join('\n')}`,
  async run(args, io) {
    const { values, positionals } = parseCliArgs(args, {
      ...PIPELINE_OPTIONS,
      port: { type: 'string' },
      host: { type: 'string' },
      open: { type: 'boolean' },
    });
    if (positionals.length > 1)
      throw new SluiceError('USAGE', `expected at most one pipeline folder, got ${positionals.length}`);
    let port: number | undefined;
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new SluiceError('USAGE', `--port must be a port number (0-65535), got '${values.port}'`);
    }
    const selected = pipelineSelection(values, positionals[0], io.cwd);
    const dashboard = await startDashboard({
      ...(selected.dir !== undefined ? { dir: selected.dir } : {}),
      cwd: io.cwd,
      bundle: selected.bundle,
      ...(values.host !== undefined ? { host: values.host } : {}),
      ...(port !== undefined ? { port } : {}),
      version: version(),
    });
    const names = dashboard.pipelines.map((p) => `'${p.name}'`).join(', ');
    io.stdout.write(
      `sluice ui: ${dashboard.url}  (${dashboard.pipelines.length === 1 ? `pipeline ${names}` : `${dashboard.pipelines.length} pipelines: ${names}`}; Ctrl-C to stop)\n`,
    );
    if (dashboard.exposed)
      io.stderr.write(
        `warning: bound to ${dashboard.host}: other machines on the network can reach this dashboard (it can start and stop updates with the token in its page)\n`,
      );
    if (values.open) openBrowser(dashboard.url);
    await new Promise<void>((resolve) => {
      if (!io.signal) return; // no stop signal: serve until the process ends
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await dashboard.close();
    return EXIT.ok;
  },
};
