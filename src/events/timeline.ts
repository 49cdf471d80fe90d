/**
 * A readable timeline of an update from its event-log rows: one line per event, then the
 * data-quality summary of the flows that finished, then the errors with their codes.
 */
import type { EventLogRow } from './schema.ts';

interface QualityDetails {
  readonly flow_progress?: {
    readonly status?: string;
    readonly data_quality?: {
      readonly dropped_records: number;
      readonly quarantined_records: number;
      readonly expectations: readonly {
        name: string;
        dataset: string;
        passed_records: number;
        failed_records: number;
      }[];
    };
  };
  readonly update_progress?: { readonly state?: string };
}

function parse(details: string): QualityDetails {
  try {
    return JSON.parse(details) as QualityDetails;
  } catch {
    return {};
  }
}

function time(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 23);
}

/** One timeline line per event: `HH:MM:SS.mmm LEVEL   event_type           subject  message`. */
export function timelineLine(r: EventLogRow): string {
  const subject = r.origin.flow_name ?? r.origin.dataset_name ?? '';
  return `${time(r.timestamp)}  ${r.level.padEnd(7)}  ${r.event_type.padEnd(20)}  ${subject.padEnd(16)}  ${r.message}`.trimEnd();
}

function pad(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * The summary after the lines: final state, the data quality of flows that reported it (last
 * report per flow wins), and every error with its code.
 */
export function timelineSummary(rows: readonly EventLogRow[]): string[] {
  const out: string[] = [];
  const quality = new Map<
    string,
    NonNullable<NonNullable<QualityDetails['flow_progress']>['data_quality']> & { status: string }
  >();
  let state: string | undefined;
  for (const r of rows) {
    const d = parse(r.details);
    if (r.event_type === 'update_progress' && d.update_progress?.state) state = d.update_progress.state;
    if (r.event_type === 'flow_progress' && d.flow_progress?.data_quality) {
      quality.set(r.origin.flow_name ?? '', {
        ...d.flow_progress.data_quality,
        status: d.flow_progress.status ?? '',
      });
    }
  }
  if (quality.size > 0) {
    const table: string[][] = [['dataset', 'expectation', 'passed', 'failed', 'pass rate', 'flow status']];
    for (const q of quality.values()) {
      for (const e of q.expectations) {
        const total = e.passed_records + e.failed_records;
        table.push([
          e.dataset,
          e.name,
          String(e.passed_records),
          String(e.failed_records),
          total === 0 ? '-' : `${((100 * e.passed_records) / total).toFixed(2)}%`,
          q.status,
        ]);
      }
    }
    out.push('', 'Data quality:', ...pad(table));
    for (const [flow, q] of quality) {
      if (q.dropped_records > 0 || q.quarantined_records > 0) {
        out.push(`  ${flow}: ${q.dropped_records} dropped, ${q.quarantined_records} quarantined`);
      }
    }
  }
  const errors = rows.filter((r) => r.error !== null);
  if (errors.length > 0) {
    out.push('', 'Errors:');
    for (const r of errors) {
      const where = r.origin.flow_name
        ? `flow ${r.origin.flow_name}`
        : `update ${r.origin.update_id?.slice(0, 8) ?? ''}`;
      out.push(`  ${r.error!.code} (${where}): ${r.error!.message}`);
      for (const c of r.error!.causes)
        out.push(`    caused by ${c.code ?? ''}${c.code ? ': ' : ''}${c.message}`);
    }
  }
  if (state) out.push('', `Update state: ${state}`);
  return out;
}
