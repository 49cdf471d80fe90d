/** A CLI command: parses its own arguments, calls the programmatic API, prints, returns an exit code. */
export interface CliCommand {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** One line for `sluice --help`. */
  readonly summary: string;
  /** Full usage text for `sluice <name> --help`. */
  readonly usage: string;
  run(args: readonly string[], io: CliIO): Promise<number>;
}

/** Where a command writes. Tests can capture both streams. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  readonly cwd: string;
  /** Aborted when the process is asked to stop (SIGINT / SIGTERM): long commands end cleanly. */
  readonly signal?: AbortSignal;
}

/** Exit codes shared by all commands. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
