import { SluiceError, type SourceLocation } from '../errors/index.ts';
import { type CompiledQuery, type Dataset, type Flow, isStored } from '../model/index.ts';
import {
  ANSI_KEY,
  ANSI_MODE,
  ansiValue,
  invalidAnsiSetting,
  LEGACY_MODE,
  type SqlMode,
} from './ansi-mode.ts';
import { compilePlacedQuery, type PlacedText, placeText, type QueryOutput } from './compile.ts';
import type { CompileCache } from './compile-cache.ts';
import type { SqlCodec } from './duckdb-codec.ts';
import { type Parsed, StatementParser } from './pipeline-parser.ts';
import { substituteConfiguration, unsafeValueError } from './substitute.ts';
import { isSymbol, isWord, LineIndex, type Token, tokenize } from './tokenizer.ts';
import type { FileFormatDetector, SqlParseOptions, SqlParseResult } from './types.ts';

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
  if (isWord(tokens[j], 'IDENTIFIER') && isSymbol(tokens[j + 1], '(') && tokens[j + 2]?.kind === 'string') {
    return tokens[j + 2]!.value.split('.').pop();
  }
  while (tokens[j] && (tokens[j]!.kind === 'word' || tokens[j]!.kind === 'backtick')) {
    name = tokens[j]!.value;
    if (!isSymbol(tokens[j + 1], '.')) break;
    j += 2;
  }
  return name;
}

/** A statement's source span: text offsets `[start, end)` and token indexes `[first, last)`. */
interface StatementSpan {
  readonly start: number;
  readonly end: number;
  readonly first: number;
  readonly last: number;
}

/** A dataset and/or the flow (being compiled) one statement declares, in statement order. */
type Pending = { readonly dataset?: Dataset; readonly flow?: Promise<Flow | undefined> };

/**
 * State threaded through one file's statements: `configuration` and `schema` are as of the
 * statement being handled (earlier `SET` / `USE` applied); `errors` and `pending` collect output.
 */
interface FileParseState {
  readonly codec: SqlCodec;
  readonly text: string;
  readonly tokens: readonly Token[];
  readonly locate: (offset: number) => SourceLocation;
  readonly errors: SluiceError[];
  readonly configuration: Record<string, string>;
  schema: string | undefined;
  readonly settings: { key: string; value: string; location: SourceLocation }[];
  readonly pending: Pending[];
  readonly detectFormat: FileFormatDetector | undefined;
  readonly file: string;
  readonly cache: CompileCache | undefined;
}

/** One statement as written and as substituted, and where it starts: what its compile depends on. */
interface StatementText {
  readonly raw: string;
  readonly substituted: string;
  readonly start: SourceLocation;
  /** The configuration it was substituted from, as of the statement. */
  readonly configuration: Readonly<Record<string, string>>;
  readonly schema: string | undefined;
  /** ANSI mode on or off for this statement (`spark.sql.ansi.enabled` as of it). */
  readonly mode: SqlMode;
}

/**
 * Splits the file's tokens on `;` into non-empty statement spans. A tokenizer error (unterminated
 * string/comment) is pushed to `errors` and ends the file: no statement includes it.
 */
function splitStatements(
  text: string,
  tokens: readonly Token[],
  errors: SluiceError[],
  locate: (offset: number) => SourceLocation,
): StatementSpan[] {
  const statements: StatementSpan[] = [];
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
          location: locate(t.start),
        }),
      );
      count = 0;
      break;
    }
    if (isSymbol(t, ';')) flush(t.start, i + 1);
    else count++;
  }
  flush(count > 0 ? tokens[first + count - 1]!.end : text.length, tokens.length);
  return statements;
}

/**
 * Substitutes `${key}` references in one statement and runs the statement parser on it. Returns
 * undefined (after pushing the errors) when a key is undefined or the statement does not parse.
 */
function parseStatement(
  state: FileParseState,
  s: StatementSpan,
): { readonly parsed: Parsed; readonly statement: StatementText } | undefined {
  const raw = state.text.slice(s.start, s.end);
  const rawTokens = state.tokens
    .slice(s.first, s.last)
    .map((t) => ({ ...t, start: t.start - s.start, end: t.end - s.start }));
  const name = declaredName(rawTokens);
  const sub = substituteConfiguration(raw, state.configuration, rawTokens);
  if (sub.undefinedKeys.length > 0 || sub.unsafe.length > 0) {
    for (const k of sub.undefinedKeys) {
      state.errors.push(
        new SluiceError('UNDEFINED_CONFIGURATION_KEY', `\${${k.key}} names no configuration entry`, {
          params: { key: k.key },
          location: state.locate(s.start + k.offset),
          ...(name ? { dataset: name } : {}),
        }),
      );
    }
    for (const u of sub.unsafe)
      state.errors.push(unsafeValueError(u, state.locate(s.start + u.offset), name));
    return undefined;
  }
  const base = placeText(raw, state.locate(s.start));
  const src: PlacedText = { text: sub.text, locate: (offset) => base.locate(sub.map(offset)) };
  try {
    const parsed = new StatementParser(
      sub.text === raw ? rawTokens : tokenize(sub.text),
      src,
      state.schema,
    ).parse();
    const statement: StatementText = {
      raw,
      substituted: sub.text,
      start: state.locate(s.start),
      // Substitution reads the configuration only when there is a `${` (see substitute.ts).
      configuration: raw.includes('${') ? { ...state.configuration } : {},
      schema: state.schema,
      mode: ansiValue(state.configuration[ANSI_KEY] ?? 'true') === false ? LEGACY_MODE : ANSI_MODE,
    };
    return { parsed, statement };
  } catch (e) {
    state.errors.push(withDataset(e, name));
    return undefined;
  }
}

/** Starts compiling a query body into a flow; resolves to undefined (error pushed) when it fails. */
async function compileFlow(
  state: FileParseState,
  statement: StatementText,
  query: PlacedText,
  dataset: string,
  make: (q: CompiledQuery) => Flow,
  output: QueryOutput = 'dataset',
): Promise<Flow | undefined> {
  try {
    const compile = (detect: FileFormatDetector | undefined) =>
      compilePlacedQuery(state.codec, query, detect, statement.mode, output);
    if (!state.cache) return make(await compile(state.detectFormat));
    const compiled = await state.cache.compile(
      {
        file: state.file,
        line: statement.start.line,
        column: statement.start.column ?? 1,
        // The statement (its query body's place in it included) and the body it compiles.
        // The mode is part of what a compile reads (ANSI on and off translate differently).
        raw: `${statement.schema ?? ''}\u0000${statement.mode.ansi ? '' : 'legacy\u0000'}${statement.raw}`,
        substituted: `${statement.substituted}\u0000${query.text}`,
        configuration: statement.configuration,
        detectsFormats: state.detectFormat !== undefined,
      },
      state.detectFormat,
      compile,
    );
    return make(compiled);
  } catch (e) {
    state.errors.push(withDataset(e, dataset));
    return undefined;
  }
}

/**
 * Applies one parsed statement in order: `SET` extends the configuration, `USE` changes the
 * default schema, and a dataset or flow is queued with its query body's compile started.
 */
function applyStatement(state: FileParseState, parsed: Parsed, statement: StatementText): void {
  switch (parsed.kind) {
    case 'set':
      state.configuration[parsed.key] = parsed.value;
      state.settings.push({ key: parsed.key, value: parsed.value, location: parsed.location });
      break;
    case 'use':
      if (parsed.schema !== undefined) state.schema = parsed.schema;
      break;
    case 'show':
      break;
    case 'dataset': {
      const d = parsed.dataset;
      const flow = parsed.query
        ? compileFlow(
            state,
            statement,
            parsed.query,
            d.name,
            (query) =>
              Object.freeze({
                kind: 'flow',
                name: d.name,
                target: d.name,
                role: 'defining',
                query,
                options: Object.freeze({}),
                ...(parsed.cdc ? { cdc: parsed.cdc } : {}),
                language: 'sql',
                ...(d.location ? { location: d.location } : {}),
              }),
            isStored(d) ? 'dataset' : 'view',
          )
        : undefined;
      state.pending.push({ dataset: d, ...(flow ? { flow } : {}) });
      break;
    }
    case 'flow': {
      const p = parsed;
      state.pending.push({
        flow: compileFlow(state, statement, p.query, p.target, (query) =>
          Object.freeze({
            kind: 'flow',
            name: p.name,
            target: p.target,
            role: p.role,
            query,
            options: Object.freeze<Record<string, string>>(p.once ? { once: 'true' } : {}),
            ...(p.cdc ? { cdc: p.cdc } : {}),
            language: 'sql',
            location: p.location,
          }),
        ),
      });
      break;
    }
    default:
      parsed satisfies never;
  }
}

/** Awaits the queued compiles; returns datasets and the flows that compiled, in statement order. */
async function collectDefinitions(
  pending: readonly Pending[],
): Promise<{ datasets: Dataset[]; flows: Flow[] }> {
  const datasets: Dataset[] = [];
  const flows: Flow[] = [];
  for (const p of pending) {
    if (p.dataset) datasets.push(p.dataset);
    const f = p.flow ? await p.flow : undefined;
    if (f) flows.push(f);
  }
  return { datasets, flows };
}

/** Sorts errors in place by line, then column (stable; errors without a location first). */
function sortByLocation(errors: SluiceError[]): void {
  errors.sort(
    (a, b) =>
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.column ?? 0) - (b.location?.column ?? 0),
  );
}

export async function parseSqlFile(
  codec: SqlCodec,
  text: string,
  options: SqlParseOptions,
): Promise<SqlParseResult> {
  const errors: SluiceError[] = [];
  const fileIndex = new LineIndex(text);
  const locate = (offset: number): SourceLocation => ({ file: options.file, ...fileIndex.lineCol(offset) });
  const tokens = tokenize(text);
  const statements = splitStatements(text, tokens, errors, locate);
  const configured = options.configuration[ANSI_KEY];
  // A value Spark refuses in the pipeline's configuration: one error, and the file reads ANSI on.
  const configuration = { ...options.configuration };
  if (configured !== undefined && ansiValue(configured) === undefined) {
    errors.push(invalidAnsiSetting(configured));
    delete configuration[ANSI_KEY];
  }
  const state: FileParseState = {
    detectFormat: options.detectFormat,
    file: options.file,
    cache: options.compileCache,
    codec,
    text,
    tokens,
    locate,
    errors,
    configuration,
    schema: options.schema,
    settings: [],
    pending: [],
  };
  for (const s of statements) {
    const parsed = parseStatement(state, s);
    if (parsed) applyStatement(state, parsed.parsed, parsed.statement);
  }
  const { datasets, flows } = await collectDefinitions(state.pending);
  sortByLocation(errors);
  return { definitions: { datasets, flows, settings: state.settings }, errors };
}
