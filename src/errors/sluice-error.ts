import { ERROR_CODES, type ErrorCode, type ErrorDomain } from './codes.ts';
import { classifyDuckDBError, duckdbErrorParts } from './duckdb-errors.ts';

/** Where in a user's pipeline source an error points. Lines and columns are 1-based. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
}

export interface SluiceErrorOptions {
  /** Structured facts about the error (table path, version, feature, …); JSON-serializable. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** The dataset the error is about, when there is one. */
  readonly dataset?: string;
  readonly location?: SourceLocation;
  readonly cause?: unknown;
  /** Overrides the code's default domain (e.g. an I/O failure that is the user's fault). */
  readonly domain?: ErrorDomain;
}

/** Marks SluiceErrors across module copies (the bundled CLI and the sources a TS pipeline imports). */
const BRAND = Symbol.for('sluice.SluiceError');

/**
 * The one error type sluice raises or returns. `code` is stable; `message` is for people.
 * Invariant: `domain` is always set, so `classifyFailure` never inspects message text.
 */
export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly domain: ErrorDomain;
  readonly params: Readonly<Record<string, unknown>>;
  readonly dataset?: string;
  readonly location?: SourceLocation;

  constructor(code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    Object.defineProperty(this, BRAND, { value: true });
    this.code = code;
    this.domain = options.domain ?? ERROR_CODES[code].domain;
    this.params = options.params ?? {};
    if (options.dataset !== undefined) this.dataset = options.dataset;
    if (options.location !== undefined) this.location = options.location;
  }

  /**
   * `instanceof` holds for SluiceErrors created by any copy of this module: a TypeScript pipeline
   * imports sluice's sources while the CLI may run from a bundle.
   */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
  }

  /** One line: `CODE: message [dataset x] (file:line:col)`. */
  format(): string {
    return formatError(this);
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      domain: this.domain,
      ...(this.dataset !== undefined ? { dataset: this.dataset } : {}),
      ...(this.location !== undefined ? { location: this.location } : {}),
      params: this.params,
    };
  }
}

export function isSluiceError(e: unknown): e is SluiceError {
  return e instanceof SluiceError;
}

export function formatLocation(loc: SourceLocation): string {
  return loc.column === undefined ? `${loc.file}:${loc.line}` : `${loc.file}:${loc.line}:${loc.column}`;
}

export function formatError(e: SluiceError): string {
  let s = `${e.code}: ${e.message}`;
  if (e.dataset !== undefined && !e.message.includes(`'${e.dataset}'`)) s += ` [dataset ${e.dataset}]`;
  if (e.location !== undefined) s += ` (${formatLocation(e.location)})`;
  return s;
}

/**
 * Wraps anything thrown into a SluiceError. Errors that are already SluiceErrors pass through;
 * Node fs errors become IO_ERROR (external); DuckDB errors get the code of their kind (see
 * `duckdb-errors.ts`) or `fallback`; everything else is `fallback` (default INTERNAL) with the
 * original as cause.
 */
export function toSluiceError(e: unknown, fallback: ErrorCode = 'INTERNAL'): SluiceError {
  if (e instanceof SluiceError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.syscall === 'string') {
    return new SluiceError(
      err.code === 'ENOSPC' ? 'DISK_FULL' : 'IO_ERROR',
      `${err.syscall} failed: ${err.message}`,
      {
        params: { errno: err.code, path: err.path },
        cause: e,
      },
    );
  }
  const message = e instanceof Error ? e.message : String(e);
  const duck = classifyDuckDBError(message);
  if (duck) return new SluiceError(duck.code, duck.message, { params: duck.params, cause: e });
  // Any other DuckDB error: its class and first lines, never the excerpt of generated SQL.
  const parts = duckdbErrorParts(message);
  if (parts) return new SluiceError(fallback, `${parts.kind} Error: ${parts.detail}`, { cause: e });
  return new SluiceError(fallback, message, { cause: e });
}

/**
 * Re-creates errors thrown by another module instance of sluice (a pipeline file imports
 * `sluice` through its own copy) as real SluiceErrors, keeping code, params, dataset and
 * location; anything else goes through {@link toSluiceError} with `fallback`.
 */
export function asSluiceError(e: unknown, fallback: ErrorCode): SluiceError {
  if (e instanceof SluiceError) return e;
  const o = e as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    params?: Record<string, unknown>;
    dataset?: string;
    location?: SourceLocation;
  };
  if (o && o.name === 'SluiceError' && typeof o.code === 'string') {
    return new SluiceError(o.code as SluiceError['code'], String(o.message), {
      ...(o.params ? { params: o.params } : {}),
      ...(o.dataset ? { dataset: o.dataset } : {}),
      ...(o.location ? { location: o.location } : {}),
      cause: e,
    });
  }
  return toSluiceError(e, fallback);
}
