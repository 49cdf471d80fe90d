import { type Dirent, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import picomatch from 'picomatch';
import type { FileFormatDetector } from '../sql/index.ts';

/** Files looked at, at most, to tell a format (a folder of many files needs only a sample). */
const MAX_FILES = 1000;

/** File extensions (before a compression suffix) and the format they name. */
const FORMAT_OF_EXTENSION: Readonly<Record<string, string>> = {
  json: 'json',
  jsonl: 'json',
  ndjson: 'json',
  csv: 'csv',
  tsv: 'csv',
  parquet: 'parquet',
  txt: 'text',
  text: 'text',
  log: 'text',
  avro: 'avro',
  orc: 'orc',
  xml: 'xml',
};

const COMPRESSION = /\.(gz|gzip|zst|zstd|bz2|snappy|lz4|deflate)$/i;

function formatOfName(name: string): string | undefined {
  const base = name.replace(COMPRESSION, '');
  const dot = base.lastIndexOf('.');
  return dot < 0 ? undefined : FORMAT_OF_EXTENSION[base.slice(dot + 1).toLowerCase()];
}

/**
 * Detects the format of `read_files` paths written without one, as Databricks does, from the
 * files there (relative paths resolve against `root`): the one format their extensions name, or
 * a reason — no files yet, files of several formats, or names without a known extension. Hidden
 * files and folders (`_x`, `.x`, as Spark skips them) are not looked at; globs (`*`, `?`, `[…]`,
 * `{…}`) filter the files below their static prefix. At most {@link MAX_FILES} files are read.
 */
export function fileFormatDetector(root: string): FileFormatDetector {
  return (path) => {
    const local = path.replace(/^file:(\/\/)?/, '');
    const abs = isAbsolute(local) ? local : resolve(root, local);
    const glob = /[*?[{]/.exec(abs);
    const base = glob ? abs.slice(0, abs.lastIndexOf('/', glob.index) + 1) : abs;
    const match = glob ? picomatch(abs.slice(base.length), { dot: false }) : () => true;
    const names = sampleFiles(base, match);
    if (names === undefined) return { reason: `nothing is at ${path} to tell the format from` };
    const formats = new Set<string>();
    const unknown: string[] = [];
    for (const n of names) {
      const f = formatOfName(n);
      if (f) formats.add(f);
      else unknown.push(n);
    }
    if (unknown.length > 0) {
      return { reason: `files at ${path} have no extension that names a format (e.g. ${unknown[0]})` };
    }
    if (formats.size === 1) return { format: [...formats][0] as string };
    if (formats.size === 0) return { reason: `no files are at ${path} yet to tell the format from` };
    return { reason: `files at ${path} are of several formats (${[...formats].sort().join(', ')})` };
  };
}

/** Relative names of up to MAX_FILES visible files at `base` (a file or a folder), or undefined when nothing is there. */
function sampleFiles(base: string, match: (rel: string) => boolean): string[] | undefined {
  try {
    if (statSync(base).isFile()) return [base.slice(base.lastIndexOf('/') + 1)];
  } catch {
    return undefined;
  }
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (out.length >= MAX_FILES) return;
      if (e.name.startsWith('_') || e.name.startsWith('.')) continue;
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(join(dir, e.name), r);
      else if (match(r)) out.push(r);
    }
  };
  walk(base, '');
  return out;
}
