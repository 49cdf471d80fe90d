import { SluiceError, type SourceLocation } from '../errors/index.ts';
import type { CompiledQuery, Dataset, Flow } from '../model/index.ts';
import { compilePlacedQuery, type PlacedText, placeText } from './compile.ts';
import type { SqlCodec } from './duckdb-codec.ts';
import { type Parsed, StatementParser } from './pipeline-parser.ts';
import { substituteConfiguration } from './substitute.ts';
import { isSymbol, isWord, LineIndex, type Token, tokenize } from './tokenizer.ts';
import type { SqlParseOptions, SqlParseResult } from './types.ts';

/**
 * One Lakeflow SQL file → definitions and errors: splits statements, runs the statement parser
 * on each, applies `SET` / `USE SCHEMA` in order and compiles query bodies concurrently.
 */

function withDataset(e: unknown, dataset: string | undefined): SluiceError {
  const err = e instanceof SluiceError ? e : new SluiceError('INTERNAL', String(e), { cause: e });
  if (!dataset || err.dataset) return err;
  return new SluiceError(err.code, err.message, {
    params: err.params,
    dataset,
    domain: err.domain,
    ...(err.location ? { location: err.location } : {}),
    ...(err.cause !== undefined ? { cause: err.cause } : {}),
  });
}

/** The dataset/flow name a statement declares, read leniently for error attribution. */
function declaredName(tokens: readonly Token[]): string | undefined {
  if (!isWord(tokens[0], 'CREATE')) return undefined;
  const i = tokens.findIndex((t) => isWord(t, 'TABLE') || isWord(t, 'VIEW') || isWord(t, 'FLOW'));
  if (i < 0) return undefined;
  let j = i + 1;
  if (isWord(tokens[j], 'IF')) j += 3;
  let name: string | undefined;
  while (tokens[j] && (tokens[j]!.kind === 'word' || tokens[j]!.kind === 'backtick')) {
    name = tokens[j]!.value;
    if (!isSymbol(tokens[j + 1], '.')) break;
    j += 2;
  }
  return name;
}

export async function parseSqlFile(
  codec: SqlCodec,
  text: string,
  options: SqlParseOptions,
): Promise<SqlParseResult> {
  const errors: SluiceError[] = [];
  const fileIndex = new LineIndex(text);
  const locateInFile = (offset: number): SourceLocation => ({
    file: options.file,
    ...fileIndex.lineCol(offset),
  });
  const tokens = tokenize(text);

  // Split on `;` tokens. A tokenizer error (unterminated string/comment) ends the file.
  const statements: { start: number; end: number; first: number; last: number }[] = [];
  let first = 0;
  let count = 0;
  const flush = (end: number, next: number) => {
    if (count > 0) statements.push({ start: tokens[first]!.start, end, first, last: first + count });
    first = next;
    count = 0;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'error') {
      errors.push(
        new SluiceError('SQL_SYNTAX_ERROR', `${t.value} (near '${t.text.slice(0, 20)}')`, {
          params: { near: t.text.slice(0, 20), detail: t.value },
          location: locateInFile(t.start),
        }),
      );
      count = 0;
      break;
    }
    if (isSymbol(t, ';')) flush(t.start, i + 1);
    else count++;
  }
  flush(count > 0 ? tokens[first + count - 1]!.end : text.length, tokens.length);

  const configuration: Record<string, string> = { ...options.configuration };
  let schema = options.schema;
  const settings: { key: string; value: string; location: SourceLocation }[] = [];
  type Pending = { readonly dataset?: Dataset; readonly flow?: Promise<Flow | undefined> };
  const pending: Pending[] = [];

  const compile = async (
    query: PlacedText,
    dataset: string,
    make: (q: CompiledQuery) => Flow,
  ): Promise<Flow | undefined> => {
    try {
      return make(await compilePlacedQuery(codec, query));
    } catch (e) {
      errors.push(withDataset(e, dataset));
      return undefined;
    }
  };

  for (const s of statements) {
    const raw = text.slice(s.start, s.end);
    const rawTokens = tokens
      .slice(s.first, s.last)
      .map((t) => ({ ...t, start: t.start - s.start, end: t.end - s.start }));
    const name = declaredName(rawTokens);
    const sub = substituteConfiguration(raw, configuration, rawTokens);
    if (sub.undefinedKeys.length > 0) {
      for (const k of sub.undefinedKeys) {
        errors.push(
          new SluiceError('UNDEFINED_CONFIGURATION_KEY', `\${${k.key}} names no configuration entry`, {
            params: { key: k.key },
            location: locateInFile(s.start + k.offset),
            ...(name ? { dataset: name } : {}),
          }),
        );
      }
      continue;
    }
    const start = { file: options.file, ...fileIndex.lineCol(s.start) };
    const base = placeText(raw, start);
    const src: PlacedText = { text: sub.text, locate: (offset) => base.locate(sub.map(offset)) };
    let parsed: Parsed;
    try {
      parsed = new StatementParser(sub.text === raw ? rawTokens : tokenize(sub.text), src, schema).parse();
    } catch (e) {
      errors.push(withDataset(e, name));
      continue;
    }
    switch (parsed.kind) {
      case 'set':
        configuration[parsed.key] = parsed.value;
        settings.push({ key: parsed.key, value: parsed.value, location: parsed.location });
        break;
      case 'use':
        if (parsed.schema !== undefined) schema = parsed.schema;
        break;
      case 'dataset': {
        const d = parsed.dataset;
        const flow = parsed.query
          ? compile(parsed.query, d.name, (query) =>
              Object.freeze({
                kind: 'flow',
                name: d.name,
                target: d.name,
                role: 'defining',
                query,
                options: Object.freeze({}),
                language: 'sql',
                ...(d.location ? { location: d.location } : {}),
              }),
            )
          : undefined;
        pending.push({ dataset: d, ...(flow ? { flow } : {}) });
        break;
      }
      case 'flow': {
        const p = parsed;
        pending.push({
          flow: compile(p.query, p.target, (query) =>
            Object.freeze({
              kind: 'flow',
              name: p.name,
              target: p.target,
              role: 'append',
              query,
              options: Object.freeze<Record<string, string>>(p.once ? { once: 'true' } : {}),
              language: 'sql',
              location: p.location,
            }),
          ),
        });
        break;
      }
      default: {
        const never: never = parsed;
        return never;
      }
    }
  }

  const datasets: Dataset[] = [];
  const flows: Flow[] = [];
  for (const p of pending) {
    if (p.dataset) datasets.push(p.dataset);
    const f = p.flow ? await p.flow : undefined;
    if (f) flows.push(f);
  }
  errors.sort(
    (a, b) =>
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.column ?? 0) - (b.location?.column ?? 0),
  );
  return { definitions: { datasets, flows, settings }, errors };
}
