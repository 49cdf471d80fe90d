import { rewriteCall, wordToken } from './prepass-calls.ts';
import { isOptionsClause, optionsClause } from './prepass-stream-options.ts';
import { isName, watermark, watermarkClause, withWatermark } from './prepass-watermark.ts';
import { type Locate, unsupportedSyntax } from './syntax-errors.ts';
import {
  endOf,
  type Group,
  isGroup,
  isParens,
  joinCommas,
  nodeIsSymbol,
  nodeIsWord,
  parens,
  rawToken,
  splitCommas,
  startOf,
  type TreeNode,
  wordOf,
} from './token-tree.ts';
import type { Token } from './tokenizer.ts';

/**
 * The clause pre-pass: Spark query syntax DuckDB's parser lacks, rewritten on the token tree.
 *
 * - `STREAM x` → `stream(x)`; `FROM (t)` → `FROM t`;
 * - `* EXCEPT (a, t.b)` → `* EXCLUDE (a, t.b)`; `s.a.*` (the fields of a struct) → a call that
 *   expands them;
 * - `LATERAL VIEW [OUTER] gen(…) t AS c1, c2` → `CROSS JOIN LATERAL (SELECT gen(…)) AS t(c1, c2)`
 *   (OUTER: `LEFT JOIN LATERAL … ON TRUE`, which keeps rows the generator gives nothing for);
 * - `VALUES 1, 2 t(x)` rows in parentheses, an alias when it has none;
 * - `MINUS` → `EXCEPT`, `LEFT SEMI JOIN` / `LEFT ANTI JOIN` → `SEMI JOIN` / `ANTI JOIN`;
 * - `grouping_id()` → `grouping_id(<the GROUP BY columns>)`;
 * - names DuckDB reserves used as column names (`offset`, `window.start`) quoted;
 * - function-call special forms (prepass-calls.ts);
 * - refusals: `WATERMARK` (STREAMING_QUERY_NOT_SUPPORTED), and UNSUPPORTED_SQL_SYNTAX for
 *   PIVOT, UNPIVOT, TABLESAMPLE, SORT BY, CLUSTER BY, time travel and script TRANSFORM;
 *   `DISTRIBUTE BY` (no effect on the result) is dropped.
 */

const CLAUSE_WORDS = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'QUALIFY',
  'WINDOW',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  'MINUS',
  'ON',
  'USING',
  'JOIN',
  'WITH',
  'PARTITION',
]);

/** DuckDB keywords that Spark lets name a column; quoted where a column name goes. */
const RESERVED_NAMES = new Set([
  'OFFSET',
  'LIMIT',
  'WINDOW',
  'DESC',
  'ASC',
  'ORDER',
  'GROUP',
  'CHECK',
  'COLUMN',
  'CONSTRAINT',
  'DEFAULT',
  'PRIMARY',
  'REFERENCES',
  'UNIQUE',
  'ONLY',
  'FETCH',
  'DO',
  'TABLE',
  'AT',
  'BINARY',
  'COLUMNS',
  'GLOB',
  'LEFT',
  'RIGHT',
  'MAP',
  'STRUCT',
  'FULL',
  'INNER',
  'OUTER',
  'CROSS',
  'NATURAL',
  'SEMI',
  'ANTI',
  'ASOF',
  'POSITIONAL',
  'PIVOT',
  'UNPIVOT',
  'QUALIFY',
  'ANALYZE',
  'ANALYSE',
  'SHOW',
  'DESCRIBE',
  'SUMMARIZE',
  'CREATE',
  'COLLATION',
  'FOREIGN',
  'INITIALLY',
  'DEFERRABLE',
  'LAMBDA',
  'VARIADIC',
  'SYMMETRIC',
  'ASYMMETRIC',
  'RETURNING',
  'PLACING',
  'INTO',
  'ISNULL',
  'NOTNULL',
  'OVERLAPS',
  'VERBOSE',
  'FREEZE',
  'CONCURRENTLY',
  'AUTHORIZATION',
  'GENERATED',
  'UNPACK',
]);

/** Tokens after which an operand (a column name) comes. */
const OPERAND_BEFORE_WORDS = new Set([
  'SELECT',
  'DISTINCT',
  'WHERE',
  'HAVING',
  'ON',
  'AND',
  'OR',
  'NOT',
  'WHEN',
  'THEN',
  'ELSE',
  'BY',
  'BETWEEN',
  'QUALIFY',
  'CASE',
]);
const OPERAND_BEFORE_SYMBOLS = new Set([
  '=',
  '<>',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  '<=>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '||',
  '&',
  '|',
  '^',
  '~',
  '=>',
  '->',
  '[',
]);
const LIST_CLAUSES = new Set(['SELECT', 'GROUP', 'ORDER', 'PARTITION', '']);

const REFUSED_CLAUSES: Readonly<Record<string, string>> = {
  PIVOT: 'PIVOT is not supported',
  UNPIVOT: 'UNPIVOT is not supported',
  TABLESAMPLE: 'TABLESAMPLE is not supported',
};

/** The index just past the dotted name starting at `i` (`a`, `a.b.c`), or `i` when none. */
function nameEnd(items: readonly TreeNode[], i: number): number {
  if (!isName(items[i])) return i;
  let j = i + 1;
  while (nodeIsSymbol(items[j], '.') && isName(items[j + 1])) j += 2;
  return j;
}

/** Rewrites one level of the tree after its groups. */
export function rewriteClauses(itemsIn: readonly TreeNode[], locate: Locate): TreeNode[] {
  return rewriteLevel(
    itemsIn.map((n) => (isGroup(n) ? ({ ...n, items: rewriteClauses(n.items, locate) } satisfies Group) : n)),
    locate,
  );
}

/** Rewrites the nodes of one level whose groups are rewritten already. */
function rewriteLevel(items: readonly TreeNode[], locate: Locate): TreeNode[] {
  const out: TreeNode[] = [];
  let clause = '';
  for (let i = 0; i < items.length; ) {
    const n = items[i]!;
    const prev = items[i - 1];
    const word = wordOf(n);
    const afterDot = nodeIsSymbol(prev, '.');
    const step = rewriteAt(items, i, clause, locate);
    if (step) {
      out.push(...step.nodes);
      i += step.consumed;
      continue;
    }
    if (word && !afterDot && CLAUSE_WORDS.has(word)) clause = word === 'JOIN' ? 'FROM' : word;
    out.push(n);
    i++;
  }
  return out;
}

type Step = { nodes: TreeNode[]; consumed: number } | undefined;

function rewriteAt(items: readonly TreeNode[], i: number, clause: string, locate: Locate): Step {
  const n = items[i]!;
  const prev = items[i - 1];
  const next = items[i + 1];
  const word = wordOf(n);
  const afterDot = nodeIsSymbol(prev, '.');
  // A relation starts after FROM, JOIN, or a comma of the FROM list (which may follow a join's
  // ON / USING condition).
  const relationStart =
    (clause === 'FROM' || clause === 'ON' || clause === 'USING') &&
    (nodeIsWord(prev, 'FROM') || nodeIsWord(prev, 'JOIN') || nodeIsSymbol(prev, ','));
  if (word && !afterDot) {
    const refusal = REFUSED_CLAUSES[word];
    const opensClause =
      isParens(next) || (word === 'UNPIVOT' && (nodeIsWord(next, 'INCLUDE') || nodeIsWord(next, 'EXCLUDE')));
    if (refusal && opensClause) throw unsupportedSyntax(word, refusal, n, locate);
    if (word === 'WATERMARK' && clause === 'FROM' && items.slice(i).some((x) => nodeIsWord(x, 'DELAY'))) {
      throw watermark(n as Token, locate);
    }
    if (word === 'STREAM' && relationStart && isName(next) && (next as Token).kind !== 'dstring') {
      return streamRelation(items, i, locate);
    }
    if (
      word === 'STREAM' &&
      relationStart &&
      isParens(next) &&
      (nodeIsWord(items[i + 2], 'WATERMARK') || isOptionsClause(items, i + 2))
    ) {
      const clauses = streamClauses(items, i + 2, locate);
      return { nodes: [n, withWatermark(next, clauses.args)], consumed: clauses.end - i };
    }
    if (word === 'LATERAL' && nodeIsWord(next, 'VIEW')) return lateralView(items, i, locate);
    if (word === 'VALUES' && (relationStart || prev === undefined)) return valuesRows(items, i);
    if (word === 'DISTRIBUTE' && nodeIsWord(next, 'BY'))
      return { nodes: [], consumed: skipList(items, i + 2) - i };
    if ((word === 'SORT' || word === 'CLUSTER') && nodeIsWord(next, 'BY')) {
      throw unsupportedSyntax(
        `${word} BY`,
        `${word} BY in a query is not supported (ORDER BY orders a whole result)`,
        n,
        locate,
      );
    }
    if (
      (word === 'VERSION' || word === 'TIMESTAMP' || word === 'SYSTEM_TIME' || word === 'SYSTEM_VERSION') &&
      nodeIsWord(next, 'AS') &&
      nodeIsWord(items[i + 2], 'OF')
    ) {
      throw unsupportedSyntax(
        'AS OF',
        'time travel (… AS OF …) is not supported in pipeline queries',
        n,
        locate,
      );
    }
    if (
      word === 'TRANSFORM' &&
      nodeIsWord(prev, 'SELECT') &&
      isParens(next) &&
      nodeIsWord(items[i + 2], 'USING')
    ) {
      throw unsupportedSyntax(
        'TRANSFORM',
        'script transforms (SELECT TRANSFORM … USING) are not supported',
        n,
        locate,
      );
    }
    if (
      word === 'MINUS' &&
      prev !== undefined &&
      !nodeIsSymbol(prev, ',') &&
      !['SELECT', 'DISTINCT', 'ALL'].includes(wordOf(prev) ?? '') &&
      (['SELECT', 'ALL', 'DISTINCT', 'FROM', 'VALUES', 'WITH', 'TABLE'].includes(wordOf(next) ?? '') ||
        isParens(next))
    ) {
      return { nodes: [{ ...(n as Token), text: 'EXCEPT', value: 'EXCEPT' }], consumed: 1 };
    }
    if (
      word === 'LEFT' &&
      (nodeIsWord(next, 'SEMI') || nodeIsWord(next, 'ANTI')) &&
      nodeIsWord(items[i + 2], 'JOIN')
    ) {
      return { nodes: [], consumed: 1 };
    }
    if (word === 'WITH' && (nodeIsWord(next, 'ROLLUP') || nodeIsWord(next, 'CUBE')) && clause === 'GROUP') {
      throw unsupportedSyntax(
        `WITH ${wordOf(next)}`,
        `GROUP BY … WITH ${wordOf(next)} is not supported (write GROUP BY ${wordOf(next)}(…))`,
        n,
        locate,
      );
    }
  }
  if (relationStart && isParens(n) && nameEnd(n.items, 0) === n.items.length && n.items.length > 0) {
    return { nodes: [...n.items], consumed: 1 };
  }
  if (nodeIsSymbol(n, '*') || (isName(n) && !afterDot)) {
    const star = starClause(items, i, clause, locate);
    if (star) return star;
  }
  if (word === 'GROUPING_ID' && isParens(next) && next.items.length === 0 && !afterDot) {
    const columns = groupingColumns(items);
    if (columns) return { nodes: [n, { ...next, items: columns }], consumed: 2 };
  }
  const call = rewriteCall(items, i, locate);
  if (call) return call;
  if (word && RESERVED_NAMES.has(word) && isColumnPosition(items, i, clause)) {
    return { nodes: [{ ...(n as Token), kind: 'backtick', value: (n as Token).text }], consumed: 1 };
  }
  return undefined;
}

/** Whether the reserved word at `i` stands where a column name goes (see RESERVED_NAMES). */
function isColumnPosition(items: readonly TreeNode[], i: number, clause: string): boolean {
  const prev = items[i - 1];
  const next = items[i + 1];
  if (isParens(next)) return false;
  if (nodeIsSymbol(prev, '.')) return true;
  const word = wordOf(items[i])!;
  if ((word === 'ORDER' || word === 'GROUP' || word === 'PARTITION') && nodeIsWord(next, 'BY')) return false;
  if (nodeIsSymbol(next, '.')) return true;
  if (prev === undefined) return true;
  if (isGroup(prev)) return false;
  if (prev.kind === 'word') return OPERAND_BEFORE_WORDS.has(prev.text.toUpperCase());
  if (prev.kind === 'symbol')
    return prev.text === ',' ? LIST_CLAUSES.has(clause) : OPERAND_BEFORE_SYMBOLS.has(prev.text);
  return false;
}

/**
 * The GROUP BY columns of the query level `items`, as `grouping_id()` without arguments means
 * them: `GROUP BY a, CUBE(b, c)` → `a, b, c`; undefined when there is no GROUP BY.
 */
function groupingColumns(items: readonly TreeNode[]): TreeNode[] | undefined {
  const at = items.findIndex((n, k) => nodeIsWord(n, 'GROUP') && nodeIsWord(items[k + 1], 'BY'));
  if (at < 0) return undefined;
  const list = items.slice(at + 2, skipList(items, at + 2));
  const columns: TreeNode[][] = [];
  const seen = new Set<string>();
  const add = (part: TreeNode[]) => {
    const key = part.map((p) => (isGroup(p) ? '(…)' : p.text.toLowerCase())).join(' ');
    if (part.length === 0 || seen.has(key)) return;
    seen.add(key);
    columns.push(part);
  };
  const visit = (parts: TreeNode[][]) => {
    for (const part of parts) {
      const w = wordOf(part[0]);
      if ((w === 'CUBE' || w === 'ROLLUP') && part.length === 2 && isParens(part[1]))
        visit(splitCommas(part[1].items));
      else if (w === 'GROUPING' && wordOf(part[1]) === 'SETS' && isParens(part[2]))
        visit(splitCommas(part[2].items));
      else if (part.length === 1 && isParens(part[0])) visit(splitCommas(part[0].items));
      else add(part);
    }
  };
  visit(splitCommas(list));
  return joinCommas(columns);
}

/** Index of the end of a comma-separated list of expressions (before the next clause word). */
function skipList(items: readonly TreeNode[], i: number): number {
  let j = i;
  while (j < items.length) {
    const w = wordOf(items[j]);
    if (w && (CLAUSE_WORDS.has(w) || w === 'SORT' || w === 'CLUSTER')) break;
    j++;
  }
  return j;
}

/**
 * `STREAM x [AS] a` → `stream(x) a`; `STREAM read_files(…)` → `stream(read_files(…))`;
 * an options clause and a WATERMARK clause after the relation go into the call (see
 * {@link streamClauses}).
 */
function streamRelation(items: readonly TreeNode[], i: number, locate: Locate): Step {
  let end = nameEnd(items, i + 1);
  if (isParens(items[end])) end++;
  const stream = items[i] as Token;
  const clauses = streamClauses(items, end, locate);
  const inner = [...items.slice(i + 1, end), ...clauses.args];
  end = clauses.end;
  return {
    nodes: [{ ...stream, text: 'stream', value: 'stream' }, parens(inner)],
    consumed: end - i,
  };
}

/**
 * The clauses after a streaming relation at `items[k]`: its options (`WITH (…)`, see
 * prepass-stream-options.ts) then its WATERMARK, each optional, as extra `stream(…)` arguments.
 */
function streamClauses(
  items: readonly TreeNode[],
  k: number,
  locate: Locate,
): { args: TreeNode[]; end: number } {
  const args: TreeNode[] = [];
  let end = k;
  if (isOptionsClause(items, end)) {
    const clause = optionsClause(items, end, locate);
    args.push(...clause.args);
    end = clause.end;
  }
  if (nodeIsWord(items[end], 'WATERMARK')) {
    const clause = watermarkClause(items, end, locate, (expr) => rewriteLevel(expr, locate));
    args.push(...clause.args);
    end = clause.end;
  }
  return { args, end };
}

/** `* EXCEPT (…)`, `t.* EXCEPT (…)`, and the fields of a struct `s.a.*`. */
function starClause(items: readonly TreeNode[], i: number, clause: string, locate: Locate): Step {
  let end = i;
  let qualifier: TreeNode[] = [];
  if (!nodeIsSymbol(items[i], '*')) {
    end = nameEnd(items, i);
    if (!nodeIsSymbol(items[end], '.') || !nodeIsSymbol(items[end + 1], '*')) return undefined;
    qualifier = items.slice(i, end);
    end++;
  }
  if (clause !== 'SELECT') return undefined;
  const star = items[end]!;
  const parts = (qualifier.length + 1) / 2;
  let head: TreeNode[] = [...qualifier, ...(qualifier.length > 0 ? [items[end - 1]!] : []), star];
  const liveTable = parts === 2 && wordOf(qualifier[0]) === 'LIVE';
  if (liveTable) head = [qualifier[2]!, items[end - 1]!, star];
  const structStar = parts >= 2 && !liveTable;
  const except =
    nodeIsWord(items[end + 1], 'EXCEPT') && isParens(items[end + 2]) ? (items[end + 2] as Group) : undefined;
  if (except && ['SELECT', 'WITH', 'VALUES'].includes(wordOf(except.items[0]) ?? '')) {
    return structStar ? structFields(qualifier, star, end + 1 - i) : { nodes: head, consumed: end + 1 - i };
  }
  if (structStar) {
    if (except) {
      throw unsupportedSyntax(
        '* EXCEPT',
        '`* EXCEPT` on the fields of a struct (`s.*`) is not supported',
        items[end + 1]!,
        locate,
      );
    }
    return structFields(qualifier, star, end + 1 - i);
  }
  if (!except) return liveTable ? { nodes: head, consumed: end + 1 - i } : undefined;
  for (const column of splitCommas(except.items)) {
    const ok = column.length > 0 && nameEnd(column, 0) === column.length;
    if (!ok || column.length > 3) {
      throw unsupportedSyntax(
        '* EXCEPT',
        '`* EXCEPT` lists columns (`a` or `t.a`); excluding nested struct fields is not supported',
        column[0] ?? except.open,
        locate,
      );
    }
  }
  const exclude = { ...(items[end + 1] as Token), text: 'EXCLUDE', value: 'EXCLUDE' };
  return { nodes: [...head, exclude, except], consumed: end + 3 - i };
}

/** `s.a.*` → `__sluice_struct_star(s.a)`: one column per field of the struct. */
function structFields(qualifier: TreeNode[], star: TreeNode, consumed: number): Step {
  const name = rawToken('__sluice_struct_star', startOf(qualifier[0]!), endOf(star));
  return { nodes: [name, parens(qualifier)], consumed };
}

/** `LATERAL VIEW [OUTER] gen(…) t [AS] c1, c2` (see the module comment). */
function lateralView(items: readonly TreeNode[], i: number, locate: Locate): Step {
  const lateral = items[i]!;
  let j = i + 2;
  const outer = nodeIsWord(items[j], 'OUTER');
  if (outer) j++;
  const fnEnd = nameEnd(items, j);
  if (fnEnd === j || !isParens(items[fnEnd])) {
    throw unsupportedSyntax(
      'LATERAL VIEW',
      'LATERAL VIEW needs a generator call (explode(…), posexplode(…), …)',
      lateral,
      locate,
    );
  }
  const call = items.slice(j, fnEnd + 1);
  j = fnEnd + 1;
  const table = items[j];
  if (!isName(table) || wordOf(table) === 'AS') {
    throw unsupportedSyntax(
      'LATERAL VIEW',
      'LATERAL VIEW needs a table alias after the generator',
      lateral,
      locate,
    );
  }
  j++;
  if (nodeIsWord(items[j], 'AS')) j++;
  const columns: TreeNode[] = [];
  while (isName(items[j]) && !CLAUSE_WORDS.has(wordOf(items[j]) ?? '') && wordOf(items[j]) !== 'LATERAL') {
    if (columns.length > 0) columns.push(rawToken(',', startOf(items[j]!)));
    columns.push(items[j]!);
    j++;
    if (!nodeIsSymbol(items[j], ',')) break;
    j++;
  }
  const at = lateral;
  const subquery = parens([wordToken('SELECT', at), ...call]);
  const nodes: TreeNode[] = [
    ...(outer ? [wordToken('LEFT', at)] : [wordToken('CROSS', at)]),
    wordToken('JOIN', at),
    wordToken('LATERAL', at),
    subquery,
    wordToken('AS', at),
    table,
    ...(columns.length > 0 ? [parens(columns)] : []),
    ...(outer ? [wordToken('ON', at), wordToken('TRUE', at)] : []),
  ];
  return { nodes, consumed: j - i };
}

/** `VALUES 1, 2 t(x)` → `VALUES (1), (2) t(x)`, and an alias when there is none. */
function valuesRows(items: readonly TreeNode[], i: number): Step {
  const nodes: TreeNode[] = [items[i]!];
  let j = i + 1;
  for (;;) {
    const n = items[j];
    if (n === undefined) break;
    if (isParens(n)) {
      nodes.push(n);
      j++;
    } else if (
      (nodeIsSymbol(n, '-') || nodeIsSymbol(n, '+')) &&
      items[j + 1] !== undefined &&
      !isGroup(items[j + 1])
    ) {
      nodes.push(parens([n, items[j + 1]!]));
      j += 2;
    } else if (
      !isGroup(n) &&
      n.kind !== 'symbol' &&
      !(n.kind === 'word' && CLAUSE_WORDS.has(n.text.toUpperCase()))
    ) {
      nodes.push(parens([n]));
      j++;
    } else break;
    if (!nodeIsSymbol(items[j], ',')) break;
    nodes.push(items[j]!);
    j++;
  }
  const after = items[j];
  const hasAlias = isName(after) && !CLAUSE_WORDS.has(wordOf(after) ?? '') && wordOf(after) !== 'LATERAL';
  if (!hasAlias && !nodeIsWord(after, 'AS') && items[i - 1] !== undefined) {
    nodes.push(wordToken('AS', items[j - 1]!), rawToken('__sluice_values', endOf(items[j - 1]!)));
  }
  return { nodes, consumed: j - i };
}
