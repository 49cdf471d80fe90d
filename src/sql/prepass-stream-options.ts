/**
 * Reader options on a streaming table read — Spark's options clause `STREAM(x) WITH ('k' = 'v', …)`
 * (`STREAM x WITH (…)` too) — read by the clause prepass into extra arguments of the `stream(…)`
 * call, which the translation turns into the input's `options` (e.g. `readChangeFeed`).
 */
import { SluiceError } from '../errors/index.ts';
import type { Locate } from './syntax-errors.ts';
import {
  endOf,
  type Group,
  isGroup,
  isParens,
  nodeIsSymbol,
  nodeIsWord,
  rawToken,
  splitCommas,
  startOf,
  type TreeNode,
} from './token-tree.ts';
import type { Token } from './tokenizer.ts';

/** Marks the extra arguments of `stream(x, …)` that carry one reader option (see translate.ts). */
export const OPTION_ARGUMENT = '__sluice_option';

/** Whether `items[k]` opens an options clause: `WITH (` … `)`. */
export function isOptionsClause(items: readonly TreeNode[], k: number): boolean {
  return nodeIsWord(items[k], 'WITH') && isParens(items[k + 1]);
}

function text(n: TreeNode | undefined): string | undefined {
  if (n === undefined || isGroup(n)) return undefined;
  if (n.kind === 'string' || n.kind === 'dstring' || n.kind === 'backtick' || n.kind === 'number')
    return n.value;
  if (n.kind === 'word') return n.value;
  // Earlier rewrites leave numeric literals as raw text.
  if (n.kind === 'raw' && /^[0-9][0-9.]*$/.test(n.value)) return n.value;
  return undefined;
}

/**
 * `WITH (key [=] value, …)` at `items[k]`: keys are strings or (dotted) names, values strings,
 * numbers, booleans or names, as in Spark's property lists. Read into `, '__sluice_option', 'k',
 * 'v'` arguments per option.
 * @throws SluiceError SQL_SYNTAX_ERROR for anything else
 */
export function optionsClause(
  items: readonly TreeNode[],
  k: number,
  locate: Locate,
): { args: TreeNode[]; end: number } {
  const at = items[k] as Token;
  const group = items[k + 1] as Group;
  const fail = (near: TreeNode) => {
    const location = locate(startOf(near));
    return new SluiceError(
      'SQL_SYNTAX_ERROR',
      "a streaming read's options are written WITH ('name' = 'value', …)",
      { params: { near: 'WITH' }, ...(location ? { location } : {}) },
    );
  };
  const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
  let out = '';
  for (const part of splitCommas(group.items)) {
    let j = 0;
    let key = text(part[j]);
    if (key === undefined) throw fail(part[0] ?? group);
    j++;
    while (nodeIsSymbol(part[j], '.') && text(part[j + 1]) !== undefined) {
      key += `.${text(part[j + 1])}`;
      j += 2;
    }
    if (nodeIsSymbol(part[j], '=')) j++;
    const sign = nodeIsSymbol(part[j], '-') ? '-' : '';
    if (sign) j++;
    const value = text(part[j]);
    if (value === undefined || j !== part.length - 1) throw fail(part[j] ?? part[0] ?? group);
    out += `, '${OPTION_ARGUMENT}', ${quote(key)}, ${quote(sign + value)}`;
  }
  if (out === '') throw fail(group);
  return { args: [rawToken(out, startOf(at), endOf(group))], end: k + 2 };
}
