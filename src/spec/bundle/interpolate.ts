import { SluiceError, type SourceLocation } from '../../errors/index.ts';

/** What `${…}` references in a bundle resolve against. */
export interface BundleReferences {
  readonly bundleName: string;
  readonly target: string;
  /** Every variable's value (after --var, BUNDLE_VAR_*, target values and defaults). */
  readonly variables: Readonly<Record<string, unknown>>;
}

/** `${a.b.c}` — Databricks' reference syntax (letters, digits, `_`, `-`, `.`, `[n]`). */
const REFERENCE = /\$\{([A-Za-z0-9_.[\]-]+)\}/g;

/**
 * Resolves `${bundle.name}`, `${bundle.target}`, `${var.x}` (also `${variables.x.value}`) in
 * every string of `value`. References sluice cannot know locally (`${workspace.*}`,
 * `${resources.*}`, …) are kept as text and added to `unresolved`. A string that is exactly one
 * variable reference takes the variable's value whatever its type (complex variables).
 * @throws SluiceError BUNDLE_INVALID for a variable that is not declared.
 */
export function interpolate(
  value: unknown,
  refs: BundleReferences,
  unresolved: Set<string>,
  where: (path: readonly (string | number)[]) => SourceLocation | undefined,
  path: readonly (string | number)[] = [],
): unknown {
  if (typeof value === 'string') return interpolateString(value, refs, unresolved, () => where(path));
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, refs, unresolved, where, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = interpolate(v, refs, unresolved, where, [...path, k]);
    return out;
  }
  return value;
}

function variableName(ref: string): string | undefined {
  const m = /^var\.([A-Za-z0-9_-]+)$/.exec(ref) ?? /^variables\.([A-Za-z0-9_-]+)\.value$/.exec(ref);
  return m?.[1];
}

function interpolateString(
  s: string,
  refs: BundleReferences,
  unresolved: Set<string>,
  where: () => SourceLocation | undefined,
): unknown {
  const whole = /^\$\{([A-Za-z0-9_.[\]-]+)\}$/.exec(s);
  if (whole) {
    const v = lookup(whole[1]!, refs, where);
    if (v !== undefined) return v;
  }
  return s.replace(REFERENCE, (text, ref: string) => {
    const v = lookup(ref, refs, where);
    if (v === undefined) {
      unresolved.add(ref);
      return text;
    }
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}

function lookup(ref: string, refs: BundleReferences, where: () => SourceLocation | undefined): unknown {
  if (ref === 'bundle.name') return refs.bundleName;
  if (ref === 'bundle.target') return refs.target;
  const name = variableName(ref);
  if (name === undefined) return undefined;
  if (!Object.hasOwn(refs.variables, name)) {
    const location = where();
    throw new SluiceError(
      'BUNDLE_INVALID',
      `\${${ref}} refers to variable '${name}', which the bundle does not declare (declare it under 'variables:')`,
      { params: { variable: name }, ...(location ? { location } : {}) },
    );
  }
  return refs.variables[name];
}
