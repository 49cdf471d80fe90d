/**
 * The code samples of the streaming standard, read in place from
 * ../shared/reference/streaming-production-patterns.md (nothing of it is copied into this
 * repository). Each fenced block with a language is a sample, titled by the nearest heading or
 * bold line above it and placed by the reference line of its first line; a block holding
 * `❌ WRONG` / `✅ CORRECT` comments is split into its marked parts. Tests skip (saying why)
 * when ../shared is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/tmp.ts';

export const REFERENCE = join(ROOT, '..', 'shared', 'reference', 'streaming-production-patterns.md');

/** `skip` for tests that need the reference. */
export const NEEDS_REFERENCE: string | false = existsSync(REFERENCE)
  ? false
  : 'needs ../shared/reference/streaming-production-patterns.md';

export interface Sample {
  /** The fence's language (python, sql, yaml). */
  readonly lang: string;
  /** The nearest heading or bold line above the block, without # or **. */
  readonly title: string;
  /** The block's text, ending with a newline. */
  readonly text: string;
  /** Reference line of the block's first line. */
  readonly line: number;
}

/** A marked part of a sample: what the standard shows as WRONG or CORRECT. */
export interface SamplePart extends Sample {
  readonly verdict: 'wrong' | 'right';
}

let cache: Sample[] | undefined;

/** Every sample with a language, in reference order. */
export function referenceSamples(): Sample[] {
  if (cache) return cache;
  const lines = readFileSync(REFERENCE, 'utf8').split('\n');
  const out: Sample[] = [];
  let title = '';
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const heading = /^#+\s+(.*)$/.exec(l) ?? /^\*\*(.*)\*\*:?\s*$/.exec(l);
    if (heading) title = heading[1]!.replace(/\*\*/g, '').replace(/:$/, '').trim();
    const fence = /^```(\w*)\s*$/.exec(l);
    if (!fence) continue;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    if (fence[1] !== '')
      out.push({ lang: fence[1]!, title, text: `${lines.slice(i + 1, end).join('\n')}\n`, line: i + 2 });
    i = end;
  }
  cache = out;
  return out;
}

/** The one sample whose title starts with `title`. */
export function sample(title: string): Sample {
  const found = referenceSamples().filter((s) => s.title.startsWith(title));
  if (found.length !== 1) throw new Error(`${found.length} reference samples titled '${title}…'`);
  return found[0]!;
}

/**
 * The parts of a sample marked ❌ (wrong) or ✅ (right) by a comment line; each part runs from
 * its marker to the next marker (trailing blank lines left out).
 */
export function markedParts(s: Sample): SamplePart[] {
  const lines = s.text.split('\n');
  const starts = lines.flatMap((l, i) => (/^\s*(#|--).*(❌|✅)/.test(l) ? [i] : []));
  return starts.map((start, k) => {
    let end = starts[k + 1] ?? lines.length;
    while (end > start && (lines[end - 1] ?? '').trim() === '') end--;
    return {
      ...s,
      verdict: lines[start]!.includes('❌') ? 'wrong' : 'right',
      text: `${lines.slice(start, end).join('\n')}\n`,
      line: s.line + start,
    };
  });
}

/** The golden rule a sample illustrates (`Rule ST-05: …` → ST-05), if its title names one. */
export function ruleOf(s: Sample): string | undefined {
  return /\b(ST-0\d)\b/.exec(s.title)?.[1];
}
