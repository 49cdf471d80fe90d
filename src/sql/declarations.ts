import { SluiceError, type SourceLocation } from '../errors/index.ts';
import type { Dataset } from '../model/index.ts';
import { type PlacedText, placeText } from './compile.ts';
import { StatementParser } from './pipeline-parser.ts';
import { substituteConfiguration } from './substitute.ts';
import { isSymbol, isWord, LineIndex, type Token, tokenize } from './tokenizer.ts';
import type { SqlParseOptions } from './types.ts';

/**
 * What a pipeline SQL file declares, read without compiling any query (no DuckDB): each
 * statement goes through the same statement parser as `parsePipelineSql` — so datasets, their
 * expectations and properties are exactly the loader's — and each query body is scanned for the
 * names it reads (`FROM`/`JOIN` references and `STREAM(…)`, CTE names and functions such as
 * `read_files` left out). For fast readers that need no more (`sluice lint`); a `${key}` with no
 * value stands for a placeholder name instead of being an error.
 */

/** A name a query reads; `streaming` for `STREAM(x)` / `STREAM x`. */
export interface SqlRead {
  readonly name: string;
  readonly streaming: boolean;
}

/** A flow: a dataset's defining query, or a `CREATE FLOW … INSERT INTO target`. */
export interface SqlFlowDeclaration {
  readonly name: string;
  readonly target: string;
  readonly location?: SourceLocation;
  readonly reads: readonly SqlRead[];
}

export interface SqlDeclarations {
  /** The configuration after the file's `SET`s (they apply to the files loaded after it). */
  readonly configuration: Readonly<Record<string, string>>;
  readonly datasets: readonly Dataset[];
  readonly flows: readonly SqlFlowDeclaration[];
  /** Statements that do not parse (read on: every other statement still counts). */
  readonly errors: readonly SluiceError[];
}

/** Stands for the value of a `${key}` the file's configuration does not define. */
const PLACEHOLDER = 'sluice_configuration_value';

const SOURCE_FORMATS = new Set([
  'json',
  'csv',
  'parquet',
  'text',
  'delta',
  'orc',
  'avro',
  'binaryfile',
  'xml',
]);

function isName(t: Token | undefined): boolean {
  return t !== undefined && (t.kind === 'word' || t.kind === 'backtick');
}

/** `a.b.c` starting at `i`: its parts and the index after it. */
function qualifiedName(tokens: readonly Token[], i: number): { parts: string[]; next: number } {
  const parts: string[] = [];
  let j = i;
  while (isName(tokens[j])) {
    parts.push(tokens[j]!.value);
    if (!isSymbol(tokens[j + 1], '.') || !isName(tokens[j + 2])) {
      j++;
      break;
    }
    j += 2;
  }
  return { parts, next: j };
}

/** The CTE names a query defines (`WITH a AS (…), b AS (…)`). */
function cteNames(tokens: readonly Token[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    if (!isWord(tokens[i], 'WITH') && !isSymbol(tokens[i], ',')) continue;
    const name = tokens[i + 1];
    if (isName(name) && isWord(tokens[i + 2], 'AS') && isSymbol(tokens[i + 3], '('))
      out.add(name!.value.toLowerCase());
  }
  return out;
}

/** The relation names a query body reads. */
export function queryReads(text: string): SqlRead[] {
  const tokens = tokenize(text);
  const ctes = cteNames(tokens);
  const out: SqlRead[] = [];
  const relation = (i: number): number => {
    let j = i;
    let streaming = false;
    let parenthesized = false;
    if (isWord(tokens[j], 'STREAM')) {
      streaming = true;
      j++;
      if (isSymbol(tokens[j], '(')) {
        parenthesized = true;
        j++;
      }
    }
    const { parts, next } = qualifiedName(tokens, j);
    if (parts.length === 0) return j;
    // read_files(…), cloud_files(…), json.`path`: sources, not datasets
    const call = isSymbol(tokens[next], '(') && !parenthesized;
    const pathTable =
      parts.length === 2 &&
      SOURCE_FORMATS.has(parts[0]!.toLowerCase()) &&
      tokens[next - 1]?.kind === 'backtick';
    const name = parts
      .filter((p, k) => !(k === 0 && parts.length > 1 && p.toUpperCase() === 'LIVE'))
      .join('.');
    if (!call && !pathTable && !(parts.length === 1 && ctes.has(name.toLowerCase())))
      out.push({ name, streaming });
    return parenthesized && isSymbol(tokens[next], ')') ? next + 1 : next;
  };
  for (let i = 0; i < tokens.length; i++) {
    if (!isWord(tokens[i], 'FROM') && !isWord(tokens[i], 'JOIN')) continue;
    let j = relation(i + 1);
    // `FROM a x, b y`: a comma list of relations (each with an optional alias)
    while (isWord(tokens[i], 'FROM')) {
      if (isWord(tokens[j], 'AS')) j++;
      if (isName(tokens[j]) && !isWord(tokens[j], 'WHERE') && !isWord(tokens[j], 'JOIN')) j++;
      if (!isSymbol(tokens[j], ',')) break;
      j = relation(j + 1);
    }
  }
  return out;
}

interface Span {
  readonly start: number;
  readonly end: number;
  readonly first: number;
  readonly last: number;
}

function statementSpans(text: string, tokens: readonly Token[]): Span[] {
  const spans: Span[] = [];
  let first = 0;
  for (let i = 0; i <= tokens.length; i++) {
    const t = tokens[i];
    if (t?.kind === 'error') break;
    if (t !== undefined && !isSymbol(t, ';')) continue;
    if (i > first) spans.push({ start: tokens[first]!.start, end: tokens[i - 1]!.end, first, last: i });
    first = i + 1;
  }
  return spans.filter((s) => s.end <= text.length);
}

/** Reads one SQL file's declarations; never throws for the user's mistakes. */
export function readSqlDeclarations(text: string, options: SqlParseOptions): SqlDeclarations {
  const index = new LineIndex(text);
  const locate = (offset: number): SourceLocation => ({ file: options.file, ...index.lineCol(offset) });
  const tokens = tokenize(text);
  const configuration: Record<string, string> = { ...options.configuration };
  let schema = options.schema;
  const datasets: Dataset[] = [];
  const flows: SqlFlowDeclaration[] = [];
  const errors: SluiceError[] = [];
  for (const s of statementSpans(text, tokens)) {
    const raw = text.slice(s.start, s.end);
    const rawTokens = tokens
      .slice(s.first, s.last)
      .map((t) => ({ ...t, start: t.start - s.start, end: t.end - s.start }));
    let sub = substituteConfiguration(raw, configuration, rawTokens);
    if (sub.undefinedKeys.length > 0) {
      const filled = { ...configuration };
      for (const k of sub.undefinedKeys) filled[k.key] = PLACEHOLDER;
      sub = substituteConfiguration(raw, filled, rawTokens);
    }
    if (sub.unsafe.length > 0) continue;
    const base = placeText(raw, locate(s.start));
    const src: PlacedText = { text: sub.text, locate: (offset) => base.locate(sub.map(offset)) };
    let parsed: ReturnType<StatementParser['parse']>;
    try {
      parsed = new StatementParser(sub.text === raw ? rawTokens : tokenize(sub.text), src, schema).parse();
    } catch (e) {
      errors.push(e instanceof SluiceError ? e : new SluiceError('INTERNAL', String(e), { cause: e }));
      continue;
    }
    switch (parsed.kind) {
      case 'set':
        configuration[parsed.key] = parsed.value;
        break;
      case 'use':
        if (parsed.schema !== undefined) schema = parsed.schema;
        break;
      case 'show':
        break;
      case 'dataset': {
        const d = parsed.dataset;
        datasets.push(d);
        if (parsed.query)
          flows.push({
            name: d.name,
            target: d.name,
            ...(d.location ? { location: d.location } : {}),
            reads: queryReads(parsed.query.text),
          });
        break;
      }
      case 'flow':
        flows.push({
          name: parsed.name,
          target: parsed.target,
          location: parsed.location,
          reads: queryReads(parsed.query.text),
        });
        break;
      default:
        parsed satisfies never;
    }
  }
  return { configuration, datasets, flows, errors };
}
