/**
 * docs/spark-functions.md: which Spark SQL functions sluice runs, generated from a full run of
 * Spark's documented examples (run-examples.ts `--record` writes it; conformance.test.ts fails
 * when the file differs from what the current run gives).
 */
import { join } from 'node:path';
import type { ExampleResult } from './run-examples.ts';

export const FUNCTIONS_DOC_FILE = join(import.meta.dirname, '../../../docs/spark-functions.md');

/** One function's status, from the outcomes of its runnable (not skipped) examples. */
function status(results: readonly ExampleResult[]): { status: string; passing: string; note: string } {
  const runnable = results.filter((r) => r.outcome !== 'skipped');
  const pass = runnable.filter((r) => r.outcome === 'pass').length;
  const passing = `${pass} / ${runnable.length}`;
  const codes = [
    ...new Set(
      runnable
        .filter((r) => r.outcome !== 'pass')
        .map((r) => (r.outcome === 'refused' ? r.code! : r.outcome === 'error' ? 'fails at run' : 'WRONG')),
    ),
  ].sort();
  const note = codes.join(', ');
  if (runnable.length === 0) return { status: '—', passing, note: 'examples not deterministic (not run)' };
  if (runnable.some((r) => r.outcome === 'wrong')) return { status: 'WRONG', passing, note };
  if (pass === runnable.length) return { status: 'yes', passing, note };
  if (pass > 0) return { status: 'partly', passing, note };
  if (runnable.every((r) => r.outcome === 'refused')) return { status: 'refused', passing, note };
  return { status: 'no', passing, note };
}

/** The markdown document for a full run's results (deterministic: sorted by family and name). */
export function functionsDoc(spark: string, results: readonly ExampleResult[]): string {
  const byFamily = new Map<string, Map<string, ExampleResult[]>>();
  for (const r of results) {
    const fns = byFamily.get(r.example.family) ?? new Map<string, ExampleResult[]>();
    fns.set(r.example.function, [...(fns.get(r.example.function) ?? []), r]);
    byFamily.set(r.example.family, fns);
  }
  const all = [...byFamily.values()].flatMap((m) => [...m.values()].map(status));
  const count = (s: string) => all.filter((x) => x.status === s).length;
  const out = [
    '# Spark SQL functions in sluice',
    '',
    `Generated from Spark ${spark}'s documented examples (the \`Examples:\` of every built-in function), each run`,
    'through sluice as a pipeline query runs it and compared with the result Spark documents. Regenerate with',
    '`node --import tsx test/sql/spark-examples/run-examples.ts --record`; `npm test` fails when this file is',
    'out of date.',
    '',
    "- **yes**: every example gives Spark's result. **partly**: some examples do; the others are refused",
    '  with the code shown (sluice refuses what it cannot compute exactly as Spark does: at validate, or at',
    "  run when the refusal depends on a value's type, e.g. an INTERVAL argument: 'fails at run').",
    '- **refused**: sluice refuses the function (or the arguments its examples use) with the code shown.',
    '- **no**: the examples fail at run time. **—**: the examples are not deterministic and are not run.',
    '- A function not listed here has no documented example in Spark; sluice refuses a function it does',
    '  not know with `UNSUPPORTED_SPARK_FUNCTION`.',
    '',
    `Functions: ${all.length} — yes ${count('yes')}, partly ${count('partly')}, refused ${count('refused')}, ` +
      `no ${count('no')}, not run ${count('—')}${count('WRONG') ? `, WRONG ${count('WRONG')}` : ''}.`,
  ];
  for (const [family, fns] of [...byFamily].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(
      '',
      `## ${family}`,
      '',
      '| function | sluice | examples passing | not passing |',
      '| --- | --- | --- | --- |',
    );
    for (const [name, rs] of [...fns].sort(([a], [b]) => a.localeCompare(b))) {
      const s = status(rs);
      out.push(`| \`${name.replaceAll('|', '\\|')}\` | ${s.status} | ${s.passing} | ${s.note} |`);
    }
  }
  return `${out.join('\n')}\n`;
}
