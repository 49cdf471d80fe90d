/**
 * Resolves the markers of non-ANSI conversions (legacy-marker-nodes.ts) once a query's inputs
 * are known, as `field-paths.ts` types Spark's `arr.f`: per SELECT holding markers, DuckDB is
 * asked the types of their operands (a probe `SELECT operand… FROM <the same FROM>`, bound but
 * never run), and each marker becomes the exact conversion for its operand's one type:
 *
 * - a cast: Spark's non-ANSI cast of a value of that type (`sparkCast` of the operand typed by a
 *   cast to itself) — one branch instead of one per possible type;
 * - a text conversion: Java's `BigDecimal.toString` when the type is DECIMAL, DuckDB's text
 *   otherwise.
 *
 * Nothing is guessed: an operand whose type the probe cannot tell (an outer query's column, a
 * lambda parameter, a marker outside any SELECT) gets the conversion for every type, chosen by
 * DuckDB's `typeof` when it binds — what the translation wrote before markers existed. Markers
 * inside an operand are resolved first (their SELECT is probed again with them resolved).
 */
import { type AstNode, forEachSelect, isNode, type Json, nodes, statementJson } from './ast.ts';
import { cast, duckType } from './cast-ast.ts';
import { javaDecimalText, legacyTextOfAnyType } from './cast-legacy.ts';
import { kindOfTypeName } from './cast-types.ts';
import { sparkCast } from './casts.ts';
import type { SqlCodec } from './duckdb-codec.ts';
import { type ProbeTypes, probeSelectTypes } from './field-paths.ts';
import { type LegacyMarker, markerOf, mayHoldLegacyMarkers } from './legacy-marker-nodes.ts';

/** A SELECT with the CTEs visible to it from enclosing queries. */
interface SelectScope {
  readonly node: AstNode;
  readonly outerCtes: readonly AstNode[];
}

/** Parses DuckDB type strings (as DESCRIBE prints them) into cast types, once each. */
type TypeReader = (type: string) => Promise<AstNode | undefined>;

/**
 * `duckdbSql` (one statement, as the compiler writes it) with every marker resolved over the
 * types `probe` learns; the text itself when it has none.
 */
export async function resolveLegacyMarkers(
  codec: SqlCodec,
  duckdbSql: string,
  probe: ProbeTypes,
): Promise<string> {
  if (!mayHoldLegacyMarkers(duckdbSql)) return duckdbSql;
  const parsed = JSON.parse(await codec.serialize(duckdbSql)) as Json;
  const statement = isNode(parsed) && parsed.error !== true ? nodes(parsed, 'statements')[0] : undefined;
  const root = statement?.node;
  if (!isNode(root ?? null)) return duckdbSql;
  const types = new Map<string, Promise<AstNode | undefined>>();
  const read: TypeReader = (type) => {
    let t = types.get(type);
    if (!t) {
      t = castTypeOf(codec, type);
      types.set(type, t);
    }
    return t;
  };
  const scopes: SelectScope[] = [];
  forEachSelect(root as AstNode, (node, outerCtes) => scopes.push({ node, outerCtes }));
  // Inner SELECTs first: an outer probe binds their FROM with their markers resolved.
  for (const scope of scopes) await resolveScope(codec, scope, probe, read);
  resolveWithoutTypes(root as AstNode);
  return codec.deserialize(statementJson(root as AstNode));
}

/**
 * Resolves every marker of `root` in place without knowing its operand's type (the conversion
 * for every type, chosen by DuckDB's `typeof`): for a translation that is never bound to inputs
 * (an expression of an expectation), and for markers no probe could type.
 */
export function resolveWithoutTypes(root: AstNode): void {
  const walk = (v: Json): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    if (!isNode(v)) return;
    for (const k in v) if (v[k] !== null && typeof v[k] === 'object') walk(v[k]!);
    const marker = markerOf(v);
    if (marker) replace(marker.node, untyped(marker));
  };
  walk(root);
}

/** The markers of one SELECT's own expressions and FROM clause (not those of nested queries). */
function ownMarkers(select: AstNode): LegacyMarker[] {
  const out: LegacyMarker[] = [];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    if (!isNode(v) || isNode(v.cte_map ?? null)) return;
    const marker = markerOf(v);
    if (marker) out.push(marker);
    for (const k in v) if (v[k] !== null && typeof v[k] === 'object') walk(v[k]!);
  };
  for (const k in select)
    if (k !== 'cte_map' && select[k] !== null && typeof select[k] === 'object') walk(select[k]!);
  return out;
}

/** Whether `v` holds a marker. */
function holdsMarker(v: Json): boolean {
  if (Array.isArray(v)) return v.some(holdsMarker);
  if (!isNode(v)) return false;
  if (markerOf(v)) return true;
  for (const k in v) if (v[k] !== null && typeof v[k] === 'object' && holdsMarker(v[k]!)) return true;
  return false;
}

/** Resolves a SELECT's markers, innermost first: one probe per round for all that are ready. */
async function resolveScope(
  codec: SqlCodec,
  scope: SelectScope,
  probe: ProbeTypes,
  read: TypeReader,
): Promise<void> {
  for (;;) {
    const ready = ownMarkers(scope.node).filter((m) => !holdsMarker(m.operand));
    if (ready.length === 0) return;
    const operands = ready.map((m) => m.operand);
    let types: readonly (string | undefined)[] | undefined = await probeSelectTypes(
      codec,
      scope.node,
      scope.outerCtes,
      operands,
      probe,
    );
    if (!types) {
      // One operand the probe cannot bind (an outer query's column) must not hide the others.
      types =
        operands.length === 1
          ? [undefined]
          : await Promise.all(
              operands.map(
                async (o) => (await probeSelectTypes(codec, scope.node, scope.outerCtes, [o], probe))?.[0],
              ),
            );
    }
    for (const [i, marker] of ready.entries()) {
      const type = types[i];
      replace(marker.node, type === undefined ? untyped(marker) : await typedConversion(marker, type, read));
    }
  }
}

/** The conversion of a marker whose operand has DuckDB type `type` (as DESCRIBE prints it). */
async function typedConversion(marker: LegacyMarker, type: string, read: TypeReader): Promise<AstNode> {
  if (marker.kind === 'text') {
    const decimal = /^DECIMAL\(\d+,\s*\d+\)$/i.test(type);
    return decimal ? javaDecimalText(marker.operand) : cast(marker.operand, duckType('VARCHAR'));
  }
  const castType = await read(type);
  // A type sluice's casts do not name (a user type such as JSON): the dispatch on `typeof`.
  if (!castType || kindOfTypeName(String(castType.id)) === 'other') return untyped(marker);
  // Typed by a cast to its own type (a no-op), the operand gets its one conversion.
  return sparkCast(cast(marker.operand, castType), marker.target, {
    legacy: true,
    atBind: true,
    ...(marker.location ? { location: marker.location } : {}),
  });
}

/** The conversion of a marker for an operand of any type (DuckDB folds the `typeof` dispatch). */
function untyped(marker: LegacyMarker): AstNode {
  if (marker.kind === 'text') return legacyTextOfAnyType(marker.operand);
  return sparkCast(marker.operand, marker.target, {
    legacy: true,
    atBind: true,
    ...(marker.location ? { location: marker.location } : {}),
  });
}

/** Replaces `node` in place by `by`. */
function replace(node: AstNode, by: AstNode): void {
  const alias = node.alias;
  for (const k of Object.keys(node)) delete node[k];
  Object.assign(node, by, { alias: typeof alias === 'string' ? alias : '' });
}

/** The cast type DuckDB's parser reads for `type` (a DESCRIBE type string), or undefined. */
async function castTypeOf(codec: SqlCodec, type: string): Promise<AstNode | undefined> {
  if (type === '"NULL"' || type === 'NULL') return undefined;
  const parsed = JSON.parse(await codec.serialize(`SELECT CAST(NULL AS ${type})`)) as Json;
  if (!isNode(parsed) || parsed.error === true) return undefined;
  const select = nodes(parsed, 'statements')[0]?.node;
  const item = isNode(select ?? null) ? nodes(select as AstNode, 'select_list')[0] : undefined;
  return item && isNode(item.cast_type ?? null) ? (item.cast_type as AstNode) : undefined;
}
