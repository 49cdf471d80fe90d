/**
 * A page of table rows: column names with their types, NULLs marked, long values clipped. The
 * `highlight`ed columns are tinted and, with `lead`, shown first (the quarantine browser's
 * `_violations`, `_batch_id`, `_source`).
 */
import type { RowsJson } from '../dashboard-types.ts';
import { cell } from './format.ts';

export function DataGrid({
  data,
  highlight,
  lead = false,
}: {
  data: RowsJson;
  highlight?: readonly string[];
  lead?: boolean;
}) {
  const marked = new Set(highlight ?? []);
  const typeOf = new Map(data.columns.map((c, i) => [c, data.types[i] ?? '']));
  const columns = lead
    ? [...data.columns.filter((c) => marked.has(c)), ...data.columns.filter((c) => !marked.has(c))]
    : data.columns;
  return (
    <div class="scroll grid-wrap">
      <table class="grid data" data-testid="data-grid">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} class={marked.has(c) ? 'marked' : ''}>
                {c}
                <div class="type">{typeOf.get(c)?.toLowerCase()}</div>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.rows.map((r, i) => (
            <tr key={i}>
              {columns.map((c) => {
                const v = r[c];
                if (c === '_violations' && Array.isArray(v))
                  return (
                    <td key={c} class="marked">
                      {v.map((x) => (
                        <span key={String(x)} class="chip bad">
                          {String(x)}
                        </span>
                      ))}
                    </td>
                  );
                const text = cell(v);
                return (
                  <td
                    key={c}
                    class={`${v === null || v === undefined ? 'null' : ''} ${marked.has(c) ? 'marked' : ''}`}
                    title={text.length > 60 ? text : undefined}
                  >
                    {text.length > 120 ? `${text.slice(0, 120)}…` : text}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
