/**
 * Markers for the non-ANSI conversions whose DuckDB expression depends on a type that is only
 * known once the query is bound to its inputs (`spark.sql.ansi.enabled = false`).
 *
 * Spark's non-ANSI `CAST` of a value whose type is unknown when the query is translated (a
 * column of a file source) would otherwise be one expression covering every possible source type
 * (tens of kilobytes, slow for DuckDB to bind, and repeated wherever the cast is repeated, e.g.
 * in GROUP BY); and a DECIMAL made text by a string function prints as Java's
 * `BigDecimal.toString` only when it is a DECIMAL. So the translation writes a compact marker —
 * a call of an internal function carrying the operand once — typed by a cast to the result type:
 *
 * - `CAST(__sluice_legacy_cast(x, '<json {target, location}>') AS <target type>)`: Spark's
 *   non-ANSI cast of `x` to `target`;
 * - `CAST(__sluice_legacy_text(x) AS VARCHAR)`: `x` made text by a string function (Java's
 *   `BigDecimal.toString` when `x` is a DECIMAL, DuckDB's text otherwise).
 *
 * Invariant: a marker never reaches DuckDB. Every binding of a query resolves them
 * (`legacy-markers.ts`, over the types its probes learn); bound SQL that still holds one is
 * refused with LEGACY_MODE_UNRESOLVED_TYPE (`assertNoLegacyMarkers`).
 */
import { SluiceError, type SourceLocation } from '../errors/index.ts';
import { type AstNode, constantText, isNode } from './ast.ts';
import { cast, duckType, fn, str } from './cast-ast.ts';
import { type CastTarget, duckTypeOf } from './cast-types.ts';

/** The internal function standing for Spark's non-ANSI cast of its first argument. */
export const LEGACY_CAST_MARKER = '__sluice_legacy_cast';
/** The internal function standing for its argument made text by a string function. */
export const LEGACY_TEXT_MARKER = '__sluice_legacy_text';

const ANY_MARKER = /\b__sluice_legacy_(?:cast|text)\s*\(/i;

/** A marker found in a parse tree: the FUNCTION node, its operand and (for a cast) what it casts to. */
export type LegacyMarker =
  | {
      readonly kind: 'cast';
      readonly node: AstNode;
      readonly operand: AstNode;
      readonly target: CastTarget;
      readonly location?: SourceLocation;
    }
  | { readonly kind: 'text'; readonly node: AstNode; readonly operand: AstNode };

/** `CAST(__sluice_legacy_cast(x, payload) AS <target type>)`: see the module comment. */
export function legacyCastMarker(
  x: AstNode,
  target: CastTarget,
  location: SourceLocation | undefined,
): AstNode {
  const payload = JSON.stringify(location ? { target, location } : { target });
  return cast(fn(LEGACY_CAST_MARKER, x, str(payload)), duckTypeOf(target));
}

/** `CAST(__sluice_legacy_text(x) AS VARCHAR)`: see the module comment. */
export function legacyTextMarker(x: AstNode): AstNode {
  return cast(fn(LEGACY_TEXT_MARKER, x), duckType('VARCHAR'));
}

/** The marker `node` is (a FUNCTION node of a parse tree), or undefined. */
export function markerOf(node: AstNode): LegacyMarker | undefined {
  if (node.class !== 'FUNCTION' || typeof node.function_name !== 'string') return undefined;
  const name = node.function_name.toLowerCase();
  const args = Array.isArray(node.children) ? node.children.filter(isNode) : [];
  if (name === LEGACY_TEXT_MARKER && args.length === 1) return { kind: 'text', node, operand: args[0]! };
  if (name !== LEGACY_CAST_MARKER || args.length !== 2) return undefined;
  const payload = constantText(args[1]!);
  if (payload === undefined) return undefined;
  const { target, location } = JSON.parse(payload) as { target: CastTarget; location?: SourceLocation };
  return { kind: 'cast', node, operand: args[0]!, target, ...(location ? { location } : {}) };
}

/** Whether `sql` (DuckDB SQL text) may hold a marker: a fact of its text alone. */
export function mayHoldLegacyMarkers(sql: string): boolean {
  return ANY_MARKER.test(sql);
}

/**
 * Throws LEGACY_MODE_UNRESOLVED_TYPE (internal) when `sql`, about to be sent to DuckDB, still
 * holds a marker: a binding that did not type the query.
 */
export function assertNoLegacyMarkers(sql: string): string {
  if (mayHoldLegacyMarkers(sql))
    throw new SluiceError(
      'LEGACY_MODE_UNRESOLVED_TYPE',
      'a non-ANSI conversion was not typed when its query was bound (a bug in sluice)',
    );
  return sql;
}
