import { type EngineEvent, formatError } from '../index.ts';
import { formatCount } from './format.ts';

interface FlowLine {
  dataset: string;
  state: string;
  rows: number;
  batches: number;
  started: number;
}

/**
 * Shows an update while it runs. On a TTY: one live line per flow (state, rows, batches, rate),
 * redrawn in place. Otherwise: one plain line per state change or committed batch.
 */
export class ProgressView {
  private readonly flows = new Map<string, FlowLine>();
  private drawn = 0;
  private readonly tty: boolean;

  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean }) {
    this.tty = out.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  }

  header(pipeline: string, warnings: readonly string[]): void {
    this.out.write(`sluice run: pipeline '${pipeline}'\n`);
    for (const w of warnings) this.out.write(`warning ${w}\n`);
  }

  onEvent(e: EngineEvent): void {
    switch (e.kind) {
      case 'update_created':
        if (e.previousAbnormal) {
          this.out.write(
            `note: the previous update ${e.previousAbnormal.updateId.slice(0, 8)} ended abnormally; resuming from its checkpoints\n`,
          );
        }
        return;
      case 'update_state':
        if (!this.tty && (e.state === 'RUNNING' || e.state === 'STOPPING')) {
          this.out.write(`update ${e.updateId.slice(0, 8)} ${e.state}\n`);
        }
        return;
      case 'flow_state': {
        const line = this.flows.get(e.flow) ?? {
          dataset: e.dataset,
          state: e.state,
          rows: 0,
          batches: 0,
          started: Date.now(),
        };
        line.state = e.state;
        if (e.state === 'RUNNING') line.started = Date.now();
        this.flows.set(e.flow, line);
        if (this.tty) this.redraw();
        else if (
          e.state !== 'QUEUED' &&
          e.state !== 'PLANNING' &&
          e.state !== 'STARTING' &&
          e.state !== 'RUNNING'
        ) {
          const extra = e.result
            ? ` (${formatCount(e.result.metrics.num_output_rows)} rows, ${e.result.metrics.num_batches} batches)`
            : '';
          this.out.write(`  flow ${e.flow} ${e.state}${extra}${e.error ? `: ${e.error.code}` : ''}\n`);
        }
        return;
      }
      case 'batch_committed': {
        const line = this.flows.get(e.flow);
        if (line) {
          line.rows += e.rows;
          line.batches++;
        }
        if (this.tty) this.redraw();
        else
          this.out.write(
            `  flow ${e.flow} batch ${e.batchId}: ${
              e.cdc
                ? `${formatCount(e.cdc.upsertedRows)} upserted, ${formatCount(e.cdc.deletedRows)} deleted`
                : `${formatCount(e.rows)} rows`
            } → version ${e.tableVersion}\n`,
          );
        return;
      }
      case 'planning':
        if (!this.tty) this.out.write(`  flow ${e.flow} ${e.planning.technique}: ${e.planning.reason}\n`);
        return;
      case 'flow_warning':
        if (this.tty) this.drawn = 0;
        this.out.write(`warning ${formatError(e.warning)}\n`);
        return;
      default: {
        const never: never = e;
        throw new Error(`unhandled engine event ${JSON.stringify(never)}`);
      }
    }
  }

  private redraw(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A`);
    const width = Math.max(...[...this.flows.keys()].map((k) => k.length), 4);
    for (const [name, l] of this.flows) {
      const secs = Math.max((Date.now() - l.started) / 1000, 0.001);
      const rate = l.rows > 0 ? `${formatCount(Math.round(l.rows / secs))} rows/s` : '';
      this.out.write(
        `\x1b[2K  ${name.padEnd(width)}  ${l.state.padEnd(9)}  ${formatCount(l.rows).padStart(10)} rows  ${String(l.batches).padStart(4)} batches  ${rate}\n`,
      );
    }
    this.drawn = this.flows.size;
  }

  finish(): void {
    this.drawn = 0;
  }
}
