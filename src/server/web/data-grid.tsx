/** A page of table rows: column names with their types, NULLs marked, long values clipped. */
import type { RowsJson } from '../dashboard-types.ts';
import { cell } from './format.ts';

export function DataGrid({ data, highlight }: { data: RowsJson; highlight?: readonly string[] }) {
  const marked = new Set(highlight ?? []);
  return (
    <div class="scroll grid-wrap">
      <table class="grid data" data-testid="data-grid">
        <thead>
          <tr>
            {data.columns.map((c, i) => (
              <th key={c} class={marked.has(c) ? 'marked' : ''}>
                {c}
                <div class="type">{data.types[i]?.toLowerCase()}</div>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.rows.map((r, i) => (
            <tr key={i}>
              {data.columns.map((c) => {
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
