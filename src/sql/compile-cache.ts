/**
 * Compiled query bodies kept across processes, so a command that loads a pipeline whose
 * statements did not change skips DuckDB's parse → translate → deparse for them.
 *
 * An entry is keyed by a hash of everything a compile reads: the code that compiles (`salt`:
 * sluice's version, DuckDB's, the sources' hash), the statement as written and as substituted,
 * where it starts in which file (locations in the result depend on it), the configuration when the
 * statement substitutes any of it, and whether formats of `read_files` paths are detected. The
 * one thing read from outside, the format detected for a `read_files` path written without one,
 * is recorded with the entry and detected again on a hit: a different answer is a miss.
 * Invariant: a hit returns what compiling the statement now would return (compile errors are
 * never cached: they are computed again).
 *
 * The owner reads the entries from a file, hands the cache to the compiles, and writes
 * `toJson()` back whole when `changed` (only entries used by this load are kept, so edits do not
 * make it grow). A value of the wrong shape or salt reads as an empty cache.
 */
import { createHash } from 'node:crypto';
import type { CompiledQuery } from '../model/index.ts';

/** A `FileFormatDetector` (types.ts, which names this module's class: declared here, no cycle). */
type FileFormatDetector = (path: string) => Detected;

/** Bumped whenever an entry or CompiledQuery changes shape: an older file is then empty. */
const FORMAT = 1;

type Detected = { readonly format: string } | { readonly reason: string };

interface Entry {
  readonly query: CompiledQuery;
  /** Each `read_files` path whose format the compile detected, and the answer. */
  readonly detected: readonly (readonly [string, Detected])[];
}

/** What a compiled statement depends on besides the code (see the module comment). */
export interface CompileKeyParts {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The statement's query body as written in the file. */
  readonly raw: string;
  /** The same after `${key}` substitution (compiled text). */
  readonly substituted: string;
  /** The configuration substituted from (empty when the statement substitutes nothing). */
  readonly configuration: Readonly<Record<string, string>>;
  readonly detectsFormats: boolean;
}

/** Pipeline-wide cache of compiled query bodies; see the module comment. */
export class CompileCache {
  readonly #salt: string;
  readonly #previous: ReadonlyMap<string, Entry>;
  readonly #used = new Map<string, Entry>();
  #misses = 0;
  #hits = 0;

  private constructor(salt: string, previous: ReadonlyMap<string, Entry>) {
    this.#salt = salt;
    this.#previous = previous;
  }

  /** An empty cache for the code identified by `salt`. */
  static empty(salt: string): CompileCache {
    return new CompileCache(salt, new Map());
  }

  /** The cache `value` (what `toJson` wrote) holds; empty when damaged or written by other code. */
  static fromJson(value: unknown, salt: string): CompileCache {
    const v = value as { format?: unknown; salt?: unknown; entries?: unknown } | null | undefined;
    if (!v || v.format !== FORMAT || v.salt !== salt || typeof v.entries !== 'object' || !v.entries)
      return CompileCache.empty(salt);
    const entries = new Map<string, Entry>();
    for (const [key, e] of Object.entries(v.entries as Record<string, unknown>)) {
      const entry = e as Partial<Entry> | null;
      if (
        !entry ||
        typeof entry.query !== 'object' ||
        !entry.query ||
        entry.query.kind !== 'query' ||
        typeof entry.query.sql !== 'string' ||
        typeof entry.query.source !== 'string' ||
        !Array.isArray(entry.query.inputs) ||
        !Array.isArray(entry.detected)
      )
        return CompileCache.empty(salt);
      entries.set(key, { query: entry.query, detected: entry.detected });
    }
    return new CompileCache(salt, entries);
  }

  /** The entries this load used, to be written whole. */
  toJson(): unknown {
    return { format: FORMAT, salt: this.#salt, entries: Object.fromEntries(this.#used) };
  }

  /** Whether the file would change: a statement was compiled, or one stopped being used. */
  get changed(): boolean {
    return this.#misses > 0 || this.#used.size !== this.#previous.size;
  }

  /** Hits and misses so far (compiles that failed are neither). */
  get stats(): { readonly hits: number; readonly misses: number } {
    return { hits: this.#hits, misses: this.#misses };
  }

  /**
   * The compiled statement: the cached one when its key and recorded format detections still
   * hold, else `compile(detect)`'s result (stored when it succeeds). `compile` must detect formats
   * only through the `detect` it is given, so what it read is recorded.
   */
  async compile(
    parts: CompileKeyParts,
    detectFormat: FileFormatDetector | undefined,
    compile: (detect: FileFormatDetector | undefined) => Promise<CompiledQuery>,
  ): Promise<CompiledQuery> {
    const key = this.#key(parts);
    const hit = this.#used.get(key) ?? this.#previous.get(key);
    if (hit && (hit.detected.length === 0 || (detectFormat && stillDetected(hit.detected, detectFormat)))) {
      this.#hits++;
      this.#used.set(key, hit);
      return revived(hit.query);
    }
    const detected: [string, Detected][] = [];
    const recording: FileFormatDetector | undefined = detectFormat
      ? (path) => {
          const answer = detectFormat(path);
          detected.push([path, answer]);
          return answer;
        }
      : undefined;
    const query = await compile(recording);
    this.#misses++;
    this.#used.set(key, { query, detected });
    return query;
  }

  #key(p: CompileKeyParts): string {
    const configuration = Object.entries(p.configuration).sort(([a], [b]) => (a < b ? -1 : 1));
    return createHash('sha256')
      .update(
        JSON.stringify([
          this.#salt,
          p.file,
          p.line,
          p.column,
          p.raw,
          p.substituted,
          configuration,
          p.detectsFormats,
        ]),
      )
      .digest('base64url');
  }
}

function stillDetected(detected: Entry['detected'], detectFormat: FileFormatDetector): boolean {
  return detected.every(([path, answer]) => JSON.stringify(detectFormat(path)) === JSON.stringify(answer));
}

/** A cached query frozen as `compilePlacedQuery` freezes what it returns. */
function revived(q: CompiledQuery): CompiledQuery {
  return Object.isFrozen(q)
    ? q
    : Object.freeze({
        ...q,
        inputs: Object.freeze(q.inputs),
        ...(q.outputColumns ? { outputColumns: Object.freeze(q.outputColumns) } : {}),
        ...(q.stateful ? { stateful: Object.freeze(q.stateful) } : {}),
      });
}
