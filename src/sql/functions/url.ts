/**
 * Spark functions on URLs: url_encode / url_decode (Java's URLEncoder / URLDecoder, UTF-8) and
 * parse_url (java.net.URI). See `index.ts` for how rules work.
 *
 * parse_url reads URLs with one RE2 pattern for the shapes whose java.net.URI parse is certain:
 * an optional scheme, an optional `//` authority (user info, a host name or IPv4 address, a
 * port), a path, a query and a fragment, in ASCII. A URL with a character java.net.URI rejects
 * everywhere (a space, a control character, one of "<>\^`{|}, a bad %-escape) is invalid; any
 * other URL (IPv6 hosts, opaque URIs such as mailto:, non-ASCII text …) fails at run time rather
 * than being read differently from Spark.
 */
import { type AstNode, constantText } from '../ast.ts';
import { madeValid } from './binary.ts';
import {
  and,
  asText,
  bind,
  cast,
  col,
  eq,
  fail,
  fn,
  int,
  isNull,
  isNullLiteral,
  lambda,
  not,
  nul,
  op,
  or,
  text,
  when,
} from './builders.ts';
import { translateJavaRegex } from './regex.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

/** Java's URLEncoder (UTF-8): letters, digits and `.-*_` stay, a space is `+`, the rest %XX. */
function urlEncode(c: FunctionCall): AstNode {
  arity(c, 1);
  const ch = '__sluice_ch';
  const encoded = when(
    [
      [fn('regexp_full_match', col(ch), text('[A-Za-z0-9.*_-]')), col(ch)],
      [eq(col(ch), text(' ')), text('+')],
    ],
    fn('regexp_replace', fn('hex', col(ch)), text('(..)'), text('%\\1'), text('g')),
  );
  return fn(
    'array_to_string',
    fn('list_transform', fn('string_split', asText(c.args[0]!), text('')), lambda([ch], encoded)),
    text(''),
  );
}

/** A '%' not followed by two hex digits: Java's URLDecoder fails. */
const BAD_ESCAPE = '%(?:[^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|[0-9A-Fa-f]?$)';

/**
 * Java's URLDecoder (UTF-8): `+` is a space, %XX runs are UTF-8 bytes (an invalid sequence
 * becomes U+FFFD); a bad escape fails (`url_decode`) or gives NULL (`try_url_decode`).
 */
function urlDecode(tryIt: boolean): FunctionRule {
  return (c: FunctionCall) => {
    arity(c, 1);
    return bind('url', asText(c.args[0]!), (s) => {
      const t = '__sluice_tok';
      const hexOf = when(
        [
          [fn('starts_with', col(t), text('%')), fn('upper', fn('substring', col(t), int(2)))],
          [eq(col(t), text('+')), text('20')],
        ],
        fn('hex', col(t)),
      );
      const bytes = fn(
        'unhex',
        fn(
          'array_to_string',
          fn(
            'list_transform',
            fn('regexp_extract_all', s(), text('%[0-9A-Fa-f]{2}|(?s:.)')),
            lambda([t], hexOf),
          ),
          text(''),
        ),
      );
      return when(
        [
          [
            fn('regexp_matches', s(), text(BAD_ESCAPE)),
            tryIt
              ? cast(nul(), 'VARCHAR')
              : fail('INVALID_FUNCTION_INPUT', `${c.name}: the URL has an invalid %-escape`),
          ],
        ],
        when([[eq(s(), text('')), text('')]], madeValid(bytes)),
      );
    });
  };
}

// RE2 pieces of the URI shapes sluice reads exactly (RFC 2396 as java.net.URI implements it).
const ESCAPED = '%[0-9A-Fa-f]{2}';
const UNRESERVED = "A-Za-z0-9\\-_.!~*'()";
const USERINFO = `(?:[${UNRESERVED};:&=+$,]|${ESCAPED})*`;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const TOP_LABEL = '[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const HOST = `(?:(?:${LABEL}\\.)*${TOP_LABEL}\\.?|${OCTET}(?:\\.${OCTET}){3})`;
const PATH_CHARS = `(?:[${UNRESERVED};:@&=+$,/]|${ESCAPED})`;
const URIC = `(?:[${UNRESERVED};/?:@&=+$,\\[\\]]|${ESCAPED})`;

/**
 * The pattern of a URL sluice reads exactly. Groups: 1 scheme, 2 authority, 3 user info, 4 host,
 * 5 path, 6 '?' and the query, 7 '#' and the fragment. A scheme needs the authority (a scheme
 * without `//` is an opaque URI or a path java.net.URI reads its own way).
 */
const URL_PATTERN =
  `^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?://((?:(${USERINFO})@)?(${HOST})(?::[0-9]{0,5})?))?` +
  `((?:/${PATH_CHARS}*)?)(\\?${URIC}*)?(#${URIC}*)?$`;

/** A URL whose (optional) scheme is followed by `//`: it has an authority. */
const WITH_AUTHORITY = '^(?:[A-Za-z][A-Za-z0-9+.-]*:)?//';

/** A URL with a scheme must have `//` after it to be read here. */
const SCHEME_WITHOUT_AUTHORITY = '^[A-Za-z][A-Za-z0-9+.-]*:(?:[^/]|/[^/]|/?$)';

/** Characters java.net.URI rejects in every part of a URI, or a bad %-escape. */
const INVALID = `[\\x00-\\x20\\x7F"<>\\\\^\`{|}]|${BAD_ESCAPE}|#.*#`;

/** parse_url(url, part[, key]) / try_parse_url: a part of the URL, NULL when it has none. */
function parseUrl(tryIt: boolean): FunctionRule {
  return (c: FunctionCall) => {
    arity(c, 2, 3);
    if (isNullLiteral(c.args[1]!)) return cast(nul(), 'VARCHAR');
    const part = constantText(c.args[1]!);
    if (part === undefined) return c.unsupported('the part to extract must be a literal');
    let keyPattern: string | undefined;
    if (c.args[2] !== undefined) {
      const key = constantText(c.args[2]);
      if (key === undefined) return c.unsupported('the query key must be a literal');
      // Spark builds the pattern `(&|^)key=([^&]*)` without quoting the key.
      const t = translateJavaRegex(`(&|^)${key}=([^&]*)`);
      if (!t.ok)
        return c.unsupported(
          `the query key '${key}' is not a regular expression sluice can translate: ${t.reason}`,
        );
      keyPattern = t.re2;
    }
    const hasKey = keyPattern !== undefined;
    return bind('url', asText(c.args[0]!), (url) => {
      // The scheme-and-authority groups come twice (with and without a scheme): take either.
      const g = (i: number) => fn('regexp_extract', url(), text(URL_PATTERN), int(i));
      const parsed = (): AstNode => {
        const scheme = g(1);
        const path = g(5);
        const queryPart = () => g(6);
        const query = () => fn('substring', queryPart(), int(2));
        const fragPart = g(7);
        const hasAuthority = () => fn('regexp_matches', url(), text(WITH_AUTHORITY));
        const hasQuery = () => ne0(queryPart());
        const orNull = (value: AstNode, present: AstNode) => when([[present, value]], cast(nul(), 'VARCHAR'));
        switch (part) {
          case 'HOST':
            return orNull(g(4), hasAuthority());
          case 'PATH':
            return path;
          case 'QUERY':
            if (keyPattern !== undefined) {
              return when(
                [
                  [
                    and(hasQuery(), fn('regexp_matches', query(), text(keyPattern))),
                    fn('regexp_extract', query(), text(keyPattern), int(2)),
                  ],
                ],
                cast(nul(), 'VARCHAR'),
              );
            }
            return orNull(query(), hasQuery());
          case 'REF':
            return orNull(fn('substring', fragPart, int(2)), ne0(g(7)));
          case 'PROTOCOL':
            return orNull(scheme, ne0(g(1)));
          case 'FILE':
            return op('||', path, when([[hasQuery(), queryPart()]], text('')));
          case 'AUTHORITY':
            return orNull(g(2), hasAuthority());
          case 'USERINFO':
            return orNull(g(3), and(hasAuthority(), fn('contains', g(2), text('@'))));
          default:
            return cast(nul(), 'VARCHAR');
        }
      };
      const result = hasKey && part !== 'QUERY' ? cast(nul(), 'VARCHAR') : parsed();
      return when(
        [
          [isNull(url()), cast(nul(), 'VARCHAR')],
          [
            fn('regexp_matches', url(), text(INVALID)),
            tryIt
              ? cast(nul(), 'VARCHAR')
              : fail('INVALID_FUNCTION_INPUT', `${c.name}: the URL is not valid`),
          ],
          [
            or(
              not(fn('regexp_matches', url(), text(URL_PATTERN))),
              fn('regexp_matches', url(), text(SCHEME_WITHOUT_AUTHORITY)),
              // '//' whose authority the pattern did not read (the path took it).
              and(fn('regexp_matches', url(), text(WITH_AUTHORITY)), eq(g(2), text(''))),
            ),
            fail('UNSUPPORTED_VALUE', `${c.name}: sluice cannot read this URL exactly as java.net.URI does`),
          ],
        ],
        result,
      );
    });
  };
}

/** A captured marker group ('?', '#', a scheme) that matched something. */
const ne0 = (x: AstNode) => not(eq(x, text('')));

export const URL_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  url_encode: urlEncode,
  url_decode: urlDecode(false),
  try_url_decode: urlDecode(true),
  parse_url: parseUrl(false),
  try_parse_url: parseUrl(true),
};
