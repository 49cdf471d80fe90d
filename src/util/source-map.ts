/**
 * A minimal Source Map v3 reader: enough to turn a position in generated code back into the
 * original file, line and column (for call sites and errors in bundled pipeline files).
 */

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

/** One mapping segment: generated column → source index, original line and column (all 0-based). */
type Segment = readonly [genColumn: number, source: number, line: number, column: number];

/** A position in an original source; `line` and `column` are 1-based. */
export interface OriginalPosition {
  readonly source: string;
  readonly line: number;
  readonly column: number;
}

/** Decodes one Base64 VLQ group of a `mappings` segment into signed integers. */
function decodeVlq(text: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const c of text) {
    const digit = DIGIT.get(c);
    if (digit === undefined) throw new Error(`invalid source map character ${JSON.stringify(c)}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    out.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return out;
}

/**
 * A parsed source map. Lines of generated code are decoded lazily; lookups return the closest
 * mapping at or before the column on that line (the first mapping of the line when the column
 * precedes them all), or undefined for an unmapped line.
 */
export class SourceMap {
  readonly sources: readonly string[];
  private readonly lines: string[];
  private readonly decoded = new Map<number, readonly Segment[]>();
  // Source/line/column fields are relative to the previous segment across lines, so decoding
  // line n needs every earlier line; this remembers how far decoding has got.
  private state = { line: 0, source: 0, origLine: 0, origColumn: 0 };

  constructor(json: string) {
    const map = JSON.parse(json) as { version?: number; sources?: string[]; mappings?: string };
    if (map.version !== 3 || !Array.isArray(map.sources) || typeof map.mappings !== 'string') {
      throw new Error('not a version 3 source map');
    }
    this.sources = map.sources;
    this.lines = map.mappings.split(';');
  }

  private segments(line: number): readonly Segment[] {
    while (this.state.line <= line && this.state.line < this.lines.length) {
      const s = this.state;
      const segs: Segment[] = [];
      let genColumn = 0;
      for (const group of this.lines[s.line]!.split(',')) {
        if (group === '') continue;
        const f = decodeVlq(group);
        genColumn += f[0]!;
        if (f.length < 4) continue;
        s.source += f[1]!;
        s.origLine += f[2]!;
        s.origColumn += f[3]!;
        segs.push([genColumn, s.source, s.origLine, s.origColumn]);
      }
      this.decoded.set(s.line, segs);
      s.line++;
    }
    return this.decoded.get(line) ?? [];
  }

  /** The original position of 1-based generated `line` and `column`. */
  originalPosition(line: number, column: number): OriginalPosition | undefined {
    const segs = this.segments(line - 1);
    if (segs.length === 0) return undefined;
    let best = segs[0]!;
    for (const seg of segs) {
      if (seg[0] > column - 1) break;
      best = seg;
    }
    const source = this.sources[best[1]];
    if (source === undefined) return undefined;
    return { source, line: best[2] + 1, column: best[3] + 1 };
  }
}
