/**
 * Spark's `schema_of_json` of a literal, computed at compile time: the type Spark's JSON schema
 * inference gives the document (`JsonInferSchema` with default options), printed as Spark's DDL
 * (`ARRAY<STRUCT<col: BIGINT>>`). Numbers are integral (BIGINT, or DECIMAL past 64 bits) or
 * DOUBLE, empty strings and nulls are NULL until merged (then STRING), object fields are sorted
 * by name, types meeting in an array are merged (BIGINT + DOUBLE = DOUBLE, anything else
 * unequal = STRING), and empty structs disappear.
 */

type Inferred =
  | { readonly kind: 'null' | 'string' | 'long' | 'double' | 'boolean' }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'array'; readonly element: Inferred }
  | { readonly kind: 'struct'; readonly fields: readonly (readonly [string, Inferred])[] };

/** The JSON reader options schema_of_json takes that sluice follows. */
export interface JsonReadOptions {
  /** `01` reads as the number 1 (Jackson's ALLOW_LEADING_ZEROS_FOR_NUMBERS). */
  readonly allowNumericLeadingZeros?: boolean;
}

class Reader {
  private i = 0;
  constructor(
    private readonly text: string,
    private readonly options: JsonReadOptions,
  ) {}

  /** The document's type, or undefined when it is not standard JSON sluice can read. */
  document(): Inferred | undefined {
    try {
      const t = this.value();
      this.space();
      return t;
    } catch {
      return undefined;
    }
  }

  private space(): void {
    while (this.i < this.text.length && /[ \t\r\n]/.test(this.text[this.i]!)) this.i++;
  }

  private value(): Inferred {
    this.space();
    const c = this.text[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string().length === 0 ? { kind: 'null' } : { kind: 'string' };
    for (const [word, kind] of [
      ['true', 'boolean'],
      ['false', 'boolean'],
      ['null', 'null'],
    ] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return { kind };
      }
    }
    return this.number();
  }

  private object(): Inferred {
    this.i++;
    const fields: [string, Inferred][] = [];
    this.space();
    if (this.text[this.i] === '}') {
      this.i++;
      return { kind: 'struct', fields };
    }
    for (;;) {
      this.space();
      if (this.text[this.i] !== '"') throw new Error('name');
      const name = this.string();
      if (fields.some(([n]) => n === name)) throw new Error('duplicate');
      this.space();
      if (this.text[this.i++] !== ':') throw new Error(':');
      fields.push([name, this.value()]);
      this.space();
      const sep = this.text[this.i++];
      if (sep === '}') break;
      if (sep !== ',') throw new Error(',');
    }
    // Java's String.compareTo: UTF-16 code units, like the default string order here.
    fields.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return { kind: 'struct', fields };
  }

  private array(): Inferred {
    this.i++;
    let element: Inferred = { kind: 'null' };
    this.space();
    if (this.text[this.i] === ']') {
      this.i++;
      return { kind: 'array', element };
    }
    for (;;) {
      element = merge(element, this.value());
      this.space();
      const sep = this.text[this.i++];
      if (sep === ']') break;
      if (sep !== ',') throw new Error(',');
    }
    return { kind: 'array', element };
  }

  private string(): string {
    const m = /^"((?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*)"/.exec(this.text.slice(this.i));
    if (!m) throw new Error('string');
    this.i += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  private number(): Inferred {
    const integral = this.options.allowNumericLeadingZeros ? '[0-9]+' : '(?:0|[1-9][0-9]*)';
    const m = new RegExp(`^-?${integral}(\\.[0-9]+)?([eE][+-]?[0-9]+)?`).exec(this.text.slice(this.i));
    if (!m) throw new Error('value');
    this.i += m[0].length;
    if (m[1] !== undefined || m[2] !== undefined) return { kind: 'double' };
    const n = BigInt(m[0]);
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return { kind: 'long' };
    // Jackson's BIG_INTEGER: a decimal of the value's precision (scale 0) while it fits 38 digits.
    const digits = (n < 0n ? -n : n).toString().length;
    return digits <= 38 ? { kind: 'decimal', precision: digits, scale: 0 } : { kind: 'double' };
  }
}

/** Spark's JsonInferSchema.compatibleType for the types inference produces. */
function merge(a: Inferred, b: Inferred): Inferred {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (a.kind === 'array' && b.kind === 'array')
    return { kind: 'array', element: merge(a.element, b.element) };
  if (a.kind === 'struct' && b.kind === 'struct') {
    const names = [...new Set([...a.fields.map(([n]) => n), ...b.fields.map(([n]) => n)])].sort((x, y) =>
      x < y ? -1 : x > y ? 1 : 0,
    );
    return {
      kind: 'struct',
      fields: names.map((n) => {
        const x = a.fields.find(([f]) => f === n)?.[1];
        const y = b.fields.find(([f]) => f === n)?.[1];
        return [n, x && y ? merge(x, y) : (x ?? y)!] as const;
      }),
    };
  }
  const numeric = (t: Inferred) => t.kind === 'long' || t.kind === 'double' || t.kind === 'decimal';
  if (numeric(a) && numeric(b)) {
    if (a.kind === b.kind && a.kind !== 'decimal') return a;
    if (a.kind === 'double' || b.kind === 'double') return { kind: 'double' };
    const asDecimal = (t: Inferred) =>
      t.kind === 'decimal' ? t : { kind: 'decimal' as const, precision: 20, scale: 0 };
    const [x, y] = [asDecimal(a), asDecimal(b)];
    const scale = Math.max(x.scale, y.scale);
    const range = Math.max(x.precision - x.scale, y.precision - y.scale);
    return range + scale > 38 ? { kind: 'double' } : { kind: 'decimal', precision: range + scale, scale };
  }
  if (a.kind === b.kind && (a.kind === 'string' || a.kind === 'boolean')) return a;
  return { kind: 'string' };
}

/** Spark's canonicalizeType: NULL becomes STRING, empty structs (and fields of them) disappear. */
function canonical(t: Inferred): Inferred | undefined {
  if (t.kind === 'null') return { kind: 'string' };
  if (t.kind === 'array') {
    const e = canonical(t.element);
    return e && { kind: 'array', element: e };
  }
  if (t.kind === 'struct') {
    const fields = t.fields.flatMap(([n, f]) => {
      const c = n.length > 0 ? canonical(f) : undefined;
      return c ? [[n, c] as const] : [];
    });
    return fields.length > 0 ? { kind: 'struct', fields } : undefined;
  }
  return t;
}

const quoteIfNeeded = (name: string) =>
  /^[a-zA-Z0-9_]+$/.test(name) && !/^\d+$/.test(name) ? name : `\`${name.replaceAll('`', '``')}\``;

function ddl(t: Inferred): string {
  switch (t.kind) {
    case 'null':
    case 'string':
      return 'STRING';
    case 'long':
      return 'BIGINT';
    case 'double':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'decimal':
      return `DECIMAL(${t.precision},${t.scale})`;
    case 'array':
      return `ARRAY<${ddl(t.element)}>`;
    case 'struct':
      return `STRUCT<${t.fields.map(([n, f]) => `${quoteIfNeeded(n)}: ${ddl(f)}`).join(', ')}>`;
  }
}

/** Spark's schema_of_json(json) with default options, or undefined for text sluice cannot read. */
export function inferJsonSchema(json: string, options: JsonReadOptions = {}): string | undefined {
  const t = new Reader(json, options).document();
  if (t === undefined) return undefined;
  const empty: Inferred = { kind: 'struct', fields: [] };
  if (t.kind === 'struct') return ddl(canonical(t) ?? empty);
  if (t.kind === 'array' && t.element.kind === 'struct') {
    const e = canonical(t.element) ?? empty;
    return ddl({ kind: 'array', element: e });
  }
  return ddl(canonical(t) ?? { kind: 'string' });
}
