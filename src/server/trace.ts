/**
 * Start-up phase timings of `sluice ui`, printed to stderr when `SLUICE_UI_TIMING` is set (for
 * the ui benchmark's per-phase figures): milliseconds since the process started.
 */
const on = Boolean(process.env.SLUICE_UI_TIMING);

/** Prints `phase` with the time since the process started (only when SLUICE_UI_TIMING is set). */
export function tracePhase(phase: string): void {
  if (on) process.stderr.write(`sluice ui timing: ${performance.now().toFixed(0).padStart(6)} ms ${phase}\n`);
}
