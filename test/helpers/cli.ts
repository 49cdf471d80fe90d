import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './tmp.ts';

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `bin/sluice.js` as a child process, the way a user would, and collects its output. */
export function runCli(
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'sluice.js'), ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Runs `sluice run dir` as a child process and kills it: with SIGKILL after `afterMs`, and/or at
 * the crash point `crashAt` (SLUICE_CRASH_AT, where the child exits abruptly itself). Resolves
 * with the signal that ended the child (null when it finished before being killed).
 */
export function killedRun(
  dir: string,
  opts: { readonly afterMs?: number; readonly crashAt?: string; readonly env?: NodeJS.ProcessEnv },
): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'sluice.js'), 'run', dir], {
      stdio: 'ignore',
      env: { ...process.env, ...opts.env, ...(opts.crashAt ? { SLUICE_CRASH_AT: opts.crashAt } : {}) },
    });
    const timer =
      opts.afterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), opts.afterMs) : undefined;
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      resolve(signal);
    });
  });
}
