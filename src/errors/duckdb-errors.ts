/**
 * DuckDB's errors as sluice error values. DuckDB reports an error's class only as the prefix of
 * its message (`Binder Error: …`, `Conversion Error: …`), so this is the one place that reads
 * DuckDB's text; everything above it decides on codes. The message keeps DuckDB's first line
 * (without the class prefix, without the `LINE n:` excerpt of generated SQL that follows);
 * params carry what the error is about (a column, a value, a pattern) so the engine can point at
 * the user's own text.
 */
import { memoryLimit } from '../util/index.ts';
import { ERROR_CODES, type ErrorCode } from './codes.ts';

/** The class prefix of a DuckDB error message, e.g. `Binder` for `Binder Error: …`. */
const CLASS = /^([A-Z][A-Za-z]*(?: [A-Za-z]+)*) Error: /;

/** RE2's error descriptions, which DuckDB reports as `Invalid Input Error: <description>: <text>`. */
const RE2_ERRORS = [
  'invalid escape sequence',
  'invalid character class range',
  'invalid character class',
  'missing ]',
  'missing )',
  'unexpected )',
  'trailing \\',
  'no argument for repetition operator',
  'invalid repetition size',
  'bad repetition operator',
  'invalid perl operator',
  'invalid UTF-8',
  'invalid named capture group',
];

/** What a DuckDB error is, as a code, a message for people and the facts it names. */
export interface DuckDBFailure {
  readonly code: ErrorCode;
  readonly message: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** The class and first line of a DuckDB error message, or undefined when it is not one. */
export function duckdbErrorParts(message: string): { kind: string; detail: string } | undefined {
  const m = CLASS.exec(message);
  if (!m) return undefined;
  const rest = message.slice(m[0].length);
  // DuckDB follows the message with an excerpt of the statement (`\n\nLINE 1: …`): never shown,
  // it is generated SQL.
  const detail = rest.split(/\n\s*\nLINE \d+:/)[0]!.trim();
  return { kind: m[1]!, detail };
}

/**
 * Classifies a DuckDB error message (see the module comment); undefined when the message is not
 * a DuckDB error.
 */
export function classifyDuckDBError(message: string): DuckDBFailure | undefined {
  const parts = duckdbErrorParts(message);
  if (!parts) return undefined;
  const { kind, detail } = parts;
  const firstLine = detail.split('\n')[0]!;
  switch (kind) {
    case 'Out of Memory':
      return {
        code: 'OUT_OF_MEMORY',
        message: `DuckDB ran out of memory (${firstLine}); raise SLUICE_MEMORY_LIMIT (now ${memoryLimit()}) or read smaller batches (maxFilesPerTrigger / maxBytesPerTrigger)`,
        params: { memoryLimit: memoryLimit() },
      };
    case 'Binder':
      return binderFailure(detail);
    case 'Conversion': {
      // Errors sluice's translated SQL raises by casting `'[CODE] message'` to a type that cannot
      // read it (unlike `error()`, the cast is not volatile, so `try(…)` can catch it).
      const cast = /(["'])\[([A-Z][A-Z0-9_]*)\] (.*)\1/.exec(firstLine);
      if (cast && Object.hasOwn(ERROR_CODES, cast[2]!)) {
        return { code: cast[2] as ErrorCode, message: cast[3]!, params: {} };
      }
      return {
        code: 'CAST_INVALID_INPUT',
        message: `a value cannot be converted: ${firstLine}`,
        params: castParams(firstLine),
      };
    }
    case 'Out of Range':
      return { code: 'ARITHMETIC_OVERFLOW', message: firstLine, params: {} };
    case 'IO':
      return /No space left on device/i.test(detail)
        ? {
            code: 'DISK_FULL',
            message: `the disk is full (${firstLine}); free space and run again — nothing of the failed batch was committed`,
            params: {},
          }
        : { code: 'IO_ERROR', message: firstLine, params: {} };
    case 'Catalog': {
      // A marker of a non-ANSI conversion that no binding typed (sql/legacy-marker-nodes.ts).
      if (/__sluice_legacy_(?:cast|text)\b/.test(firstLine))
        return {
          code: 'LEGACY_MODE_UNRESOLVED_TYPE',
          message: 'a non-ANSI conversion was not typed when its query was bound (a bug in sluice)',
          params: {},
        };
      const table = /^Table with name (\S+) does not exist/.exec(firstLine)?.[1];
      return table
        ? { code: 'TABLE_OR_VIEW_NOT_FOUND', message: `no table or view '${table}'`, params: { table } }
        : undefined;
    }
    case 'Permission': {
      const file = /file "([^"]+)"/.exec(firstLine)?.[1];
      return {
        code: 'FILE_ACCESS_DENIED',
        message: `${file ? `'${file}' is` : 'a file is'} outside the folders this SQL may read`,
        params: file ? { file } : {},
      };
    }
    case 'Invalid Input': {
      // Errors sluice's translated SQL raises itself: `error('[CODE] message')`.
      const coded = /^\[([A-Z][A-Z0-9_]*)\] (.*)$/.exec(firstLine);
      if (coded && Object.hasOwn(ERROR_CODES, coded[1]!)) {
        return { code: coded[1] as ErrorCode, message: coded[2]!, params: {} };
      }
      const re2 = RE2_ERRORS.find((d) => firstLine.startsWith(`${d}: `));
      if (re2) {
        const fragment = firstLine.slice(re2.length + 2);
        return {
          code: 'UNSUPPORTED_REGEX',
          message: `a regular expression is not valid here (${re2} at '${fragment}'); sluice runs regular expressions with RE2, which lacks some Java constructs (possessive quantifiers, \\p{…} classes, back references)`,
          params: { problem: re2, fragment },
        };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function binderFailure(detail: string): DuckDBFailure | undefined {
  const firstLine = detail.split('\n')[0]!;
  const notFound = /^Referenced column "([^"]+)" not found in FROM clause!/.exec(firstLine);
  if (notFound) {
    const candidates = /Candidate bindings: (.*)$/m.exec(detail)?.[1];
    const suggestions = candidates ? [...candidates.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) : [];
    const hint =
      suggestions.length > 0 ? `; did you mean ${suggestions.map((n) => `'${n}'`).join(' or ')}?` : '';
    return {
      code: 'UNRESOLVED_COLUMN',
      message: `column '${notFound[1]}' cannot be resolved${hint}`,
      params: { column: notFound[1], suggestions },
    };
  }
  const qualified = /^(?:Values list|Table) "([^"]+)" does not have a column named "([^"]+)"/.exec(firstLine);
  if (qualified) {
    return {
      code: 'UNRESOLVED_COLUMN',
      message: `column '${qualified[1]}.${qualified[2]}' cannot be resolved`,
      params: { column: qualified[2], relation: qualified[1], suggestions: [] },
    };
  }
  const extract = /^Cannot extract field '([^']+)' from expression "([^"]+)" because it is not a struct/.exec(
    firstLine,
  );
  if (extract) {
    const [, field, base] = extract;
    // A pipeline's flows read `arr.f` of an array of structs as Spark does (sql/field-paths.ts,
    // once the inputs' types are known); where that typing does not run (a standalone query) or
    // cannot tell the type, say how to write it.
    return {
      code: 'DATATYPE_MISMATCH',
      message: `field '${field}' cannot be read from '${base}': it is not a struct (if it is an array of structs, write transform(${base}, x -> x.${field}) for the array of their '${field}')`,
      params: { column: base, field },
    };
  }
  if (/^(No function matches|Cannot compare values of type|Cannot mix values of type)/.test(firstLine)) {
    return { code: 'DATATYPE_MISMATCH', message: firstLine, params: {} };
  }
  return undefined;
}

function castParams(line: string): Record<string, unknown> {
  const value = /(?:string|value) '?([^' ]+)'? (?:to|can't)/.exec(line)?.[1];
  const column = /source column (\S+)/.exec(line)?.[1];
  return { ...(value !== undefined ? { value } : {}), ...(column !== undefined ? { column } : {}) };
}
