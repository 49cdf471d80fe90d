import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toSluiceError } from '../../src/index.ts';
import { session } from '../helpers/session.ts';
import { rows } from './helpers.ts';

/**
 * Translates a Spark expression, runs it in DuckDB and returns [value as text, DuckDB type].
 * Expected values are Spark 4.1's (its documented examples, and its string functions' rules:
 * UTF8String, ToNumberParser, java.text.DecimalFormat, java.net.URI).
 */
async function spark(expr: string): Promise<[string | null, string]> {
  const sql = await session.sql.translateExpression(expr);
  const [r] = await rows(`SELECT CAST(${sql} AS VARCHAR) AS v, typeof(${sql}) AS t`);
  return [r!.v as string | null, r!.t as string];
}

/** Runs the cases, collecting every difference (value or type) before asserting. */
async function check(cases: readonly [string, string | null, string][]): Promise<void> {
  const failures: string[] = [];
  for (const [expr, value, type] of cases) {
    try {
      const [v, t] = await spark(expr);
      if (v !== value || t !== type) failures.push(`${expr}: expected ${value} :: ${type}, got ${v} :: ${t}`);
    } catch (e) {
      failures.push(`${expr}: ${(e as Error).message}`);
    }
  }
  assert.deepEqual(failures, []);
}

/** The code and message a run of the translated expression fails with. */
async function runError(expr: string): Promise<string> {
  const sql = await session.sql.translateExpression(expr);
  try {
    await rows(`SELECT ${sql} AS v`);
  } catch (e) {
    const err = toSluiceError(e, 'QUERY_FAILED');
    return `${err.code}: ${err.message}`;
  }
  return assert.fail(`${expr} ran without an error`);
}

test('substrings, padding, lengths follow Spark (position 0, negative lengths, bytes of binaries)', async () => {
  await check([
    ["substr('Spark SQL', 5)", 'k SQL', 'VARCHAR'],
    ["substr('Spark SQL', -3)", 'SQL', 'VARCHAR'],
    ["substr('abc', 0, 2)", 'ab', 'VARCHAR'],
    ["substr('abc', -5, 3)", 'a', 'VARCHAR'],
    ["substr('abc', 2, -1)", '', 'VARCHAR'],
    ["substring(encode('Spark SQL', 'utf-8'), 5)", 'k SQL', 'BLOB'],
    ["left('abc', -1)", '', 'VARCHAR'],
    ["right('abc', 0)", '', 'VARCHAR'],
    ["right('abc', NULL)", null, 'VARCHAR'],
    ["lpad('hi', 5, '??')", '???hi', 'VARCHAR'],
    ["lpad('hi', 1, '??')", 'h', 'VARCHAR'],
    ["lpad('hi', 5, '')", 'hi', 'VARCHAR'],
    ["rpad('héllo', 7, 'ü')", 'hélloüü', 'VARCHAR'],
    ["hex(lpad(unhex('aabb'), 5))", '000000AABB', 'VARCHAR'],
    ["hex(rpad(unhex('aabb'), 5, unhex('1122')))", 'AABB112211', 'VARCHAR'],
    ["length('héllo')", '5', 'INTEGER'],
    ["length(x'537061726b2053514c')", '9', 'INTEGER'],
    ["octet_length('héllo')", '6', 'INTEGER'],
    ["bit_length('Spark SQL')", '72', 'INTEGER'],
    ["overlay('Spark SQL' PLACING 'ANSI ' FROM 7 FOR 0)", 'Spark ANSI SQL', 'VARCHAR'],
    ["overlay('Spark SQL' PLACING 'tructured' FROM 2 FOR 4)", 'Structured SQL', 'VARCHAR'],
    ["overlay(encode('Spark SQL', 'utf-8') PLACING encode('_', 'utf-8') FROM 6)", 'Spark_SQL', 'BLOB'],
    ['chr(321)', 'A', 'VARCHAR'],
    ['chr(-1)', '', 'VARCHAR'],
    ["repeat('ab', -2)", '', 'VARCHAR'],
    ['space(-1)', '', 'VARCHAR'],
  ]);
});

test('searching: locate, instr, substring_index, find_in_set, elt, split_part, contains on bytes', async () => {
  await check([
    ["locate('bar', 'foobarbar', 5)", '7', 'INTEGER'],
    ["locate('', 'abc', 3)", '1', 'INTEGER'],
    ["locate('b', 'abc', 0)", '0', 'INTEGER'],
    ["locate('b', 'abc', NULL)", '0', 'INTEGER'],
    ["locate(NULL, 'abc', 1)", null, 'INTEGER'],
    ["position('bar', 'foobarbar')", '4', 'INTEGER'],
    ["instr('SparkSQL', 'SQL')", '6', 'INTEGER'],
    ["substring_index('www.apache.org', '.', 2)", 'www.apache', 'VARCHAR'],
    ["substring_index('www.apache.org', '.', -2)", 'apache.org', 'VARCHAR'],
    ["substring_index('www.apache.org', '.', 9)", 'www.apache.org', 'VARCHAR'],
    // Spark finds overlapping occurrences of a delimiter that overlaps itself.
    ["substring_index('aaa', 'aa', 2)", 'a', 'VARCHAR'],
    ["substring_index('a.b', '', 1)", '', 'VARCHAR'],
    ["find_in_set('ab', 'abc,b,ab,c,def')", '3', 'INTEGER'],
    ["find_in_set('a,b', 'a,b')", '0', 'INTEGER'],
    ["elt(2, 'a', 1)", '1', 'VARCHAR'],
    ["split_part('a.b.c', '', 1)", 'a.b.c', 'VARCHAR'],
    ["split_part('a.b.c', '.', -1)", 'c', 'VARCHAR'],
    ["split_part('a.b.c', '.', 7)", '', 'VARCHAR'],
    ["contains('Spark SQL', NULL)", null, 'BOOLEAN'],
    ["contains(x'537061726b2053514c', x'537061726b')", 'true', 'BOOLEAN'],
    // A byte match must start on a byte: 0x12 0x34 does not contain 0x23.
    ["contains(x'1234', x'23')", 'false', 'BOOLEAN'],
    ["endswith(x'537061726b2053514c', x'53514c')", 'true', 'BOOLEAN'],
  ]);
  assert.match(
    await runError("elt(3, 'a', 'b')"),
    /^INVALID_FUNCTION_INPUT: elt: the index must be between 1 and 2/,
  );
});

test('text rewrites: concat, concat_ws, initcap, mask, soundex, quote, levenshtein, luhn_check', async () => {
  await check([
    ["concat('a', NULL)", null, 'VARCHAR'],
    ["concat_ws(',', array('a', NULL, 'b'), 'c', NULL)", 'a,b,c', 'VARCHAR'],
    ["concat_ws(NULL, 'Spark', 'SQL')", null, 'VARCHAR'],
    ["concat_ws('s')", '', 'VARCHAR'],
    ["initcap('sPark sql  héllo ǆx')", 'Spark Sql  Héllo ǅx', 'VARCHAR'],
    ["initcap('ΟΔΟΣ οδοσ')", 'Οδος Οδοσ', 'VARCHAR'],
    // Full case mapping, as Java and ICU: ß is SS, İ is i + a combining dot, a final Σ is ς.
    ["upper('straße ﬁx')", 'STRASSE FIX', 'VARCHAR'],
    ["lower('İSTANBUL')", 'i\u0307stanbul', 'VARCHAR'],
    ["lower('ΟΔΟΣ ΟΔΟΣ, ΣΑ')", 'οδος οδος, σα', 'VARCHAR'],
    ["ucase('SparkSql')", 'SPARKSQL', 'VARCHAR'],
    ["mask('AbCD123-@$#', 'Q', 'q', 'd', 'o')", 'QqQQdddoooo', 'VARCHAR'],
    ["mask('AbCD123-@$#', NULL, 'q', 'd', 'o')", 'AqCDdddoooo', 'VARCHAR'],
    ["mask('abcd-EFGH-8765-4321')", 'xxxx-XXXX-nnnn-nnnn', 'VARCHAR'],
    ["soundex('Miller')", 'M460', 'VARCHAR'],
    ["soundex('Ashcraft')", 'A261', 'VARCHAR'],
    ["soundex('1abc')", '1abc', 'VARCHAR'],
    ["quote('Don''t')", "'Don\\'t'", 'VARCHAR'],
    ["levenshtein('kitten', 'sitting')", '3', 'INTEGER'],
    ["levenshtein('kitten', 'sitting', 2)", '-1', 'INTEGER'],
    // Code points, not bytes (DuckDB's levenshtein counts bytes).
    ["levenshtein('é', 'e')", '1', 'INTEGER'],
    ["levenshtein('héllo', 'hallo wörld')", '7', 'INTEGER'],
    ["luhn_check('79927398713')", 'true', 'BOOLEAN'],
    ["luhn_check('79927398714')", 'false', 'BOOLEAN'],
    ["luhn_check('')", 'false', 'BOOLEAN'],
    ['ascii(2)', '50', 'INTEGER'],
  ]);
  assert.match(await runError("lower('ΟΔΟΣ.')"), /^UNSUPPORTED_VALUE: lower/);
  assert.match(await runError("upper('ŉ')"), /^UNSUPPORTED_VALUE: upper/);
});

test('bytes and charsets: encode, decode, base64, to_binary, UTF-8 validity', async () => {
  await check([
    ["decode(encode('abc', 'utf-8'), 'utf-8')", 'abc', 'VARCHAR'],
    ["hex(encode('é', 'iso-8859-1'))", 'E9', 'VARCHAR'],
    ["decode(unhex('E9'), 'iso-8859-1')", 'é', 'VARCHAR'],
    ["decode(2, 1, 'Southlake', 2, 'San Francisco', 'Non domestic')", 'San Francisco', 'VARCHAR'],
    ["decode(NULL, 6, 'Spark', NULL, 'SQL', 4, 'rocks')", 'SQL', 'VARCHAR'],
    ["base64(x'537061726b2053514c')", 'U3BhcmsgU1FM', 'VARCHAR'],
    // Spark's MIME decoder skips characters outside the alphabet (line breaks).
    ["decode(unbase64('U3Bh\ncmsg'), 'utf-8')", 'Spark ', 'VARCHAR'],
    ["unhex('zz')", null, 'BLOB'],
    ["try_to_binary('a!', 'base64')", null, 'BLOB'],
    ["try_to_binary('abc', 'invalidFormat')", null, 'BLOB'],
    ["is_valid_utf8(x'61C262')", 'false', 'BOOLEAN'],
    ["is_valid_utf8('Spark')", 'true', 'BOOLEAN'],
    ["make_valid_utf8(x'61C262')", 'a\uFFFDb', 'VARCHAR'],
    // A truncated sequence is one U+FFFD; an invalid second byte ends it.
    ["make_valid_utf8(x'E18061E0')", '\uFFFDa\uFFFD', 'VARCHAR'],
    ["try_validate_utf8(x'80')", null, 'VARCHAR'],
    ["crc32('Spark')", '1557323817', 'BIGINT'],
    ["sha('Spark')", '85f5955f4b27a9a4c2aab6ffe5d7189fc298b92c', 'VARCHAR'],
  ]);
  assert.match(await runError("validate_utf8(x'80')"), /^INVALID_FUNCTION_INPUT: .*not valid UTF-8/);
  assert.match(
    await runError("encode('é', 'us-ascii')"),
    /^INVALID_FUNCTION_INPUT: encode: a character is not in us-ascii/,
  );
});

test('numbers as text: to_number, to_char, format_number, format_string', async () => {
  await check([
    ["to_number('454.00', '000.00')", '454.00', 'DECIMAL(5,2)'],
    ["to_number('12,454.8-', '99,999.9S')", '-12454.8', 'DECIMAL(6,1)'],
    ["to_number('<12>', '99PR')", '-12', 'DECIMAL(2,0)'],
    // Whitespace inside a digit run is skipped.
    ["to_number(' 1 2', '99')", '12', 'DECIMAL(2,0)'],
    ["try_to_number('12x', '999')", null, 'DECIMAL(3,0)'],
    ["to_char(-12454.8, '99G999D9S')", '12,454.8-', 'VARCHAR'],
    ["to_char(12, 'S999')", ' +12', 'VARCHAR'],
    ["to_char(-0.5, 'S99.9')", '  -.5', 'VARCHAR'],
    ["to_char(0.5, '99.9')", ' 0.5', 'VARCHAR'],
    ["to_char(12345, '99')", '##', 'VARCHAR'],
    ["to_char(-5, '999PR')", '  <5>', 'VARCHAR'],
    ["to_char(1, '0999')", '0001', 'VARCHAR'],
    ['format_number(12332.123456, 4)', '12,332.1235', 'VARCHAR'],
    ["format_number(12332.123456, '##################.###')", '12332.123', 'VARCHAR'],
    // Half to even on the exact value, the sign of a negative value kept.
    ['format_number(2.675, 2)', '2.68', 'VARCHAR'],
    ['format_number(CAST(0.125 AS DOUBLE), 2)', '0.12', 'VARCHAR'],
    ['format_number(-0.001, 2)', '-0.00', 'VARCHAR'],
    ["format_number(0.5, '#.##')", '.5', 'VARCHAR'],
    ["format_number(CAST('NaN' AS DOUBLE), 2)", 'NaN', 'VARCHAR'],
    ['format_number(1, -1)', null, 'VARCHAR'],
    ["format_string('Hello World %d %s', 100, 'days')", 'Hello World 100 days', 'VARCHAR'],
    ["printf('%5s|%-5s|%05d|%s', 'a', 'b', -3, NULL)", '    a|b    |-0003|null', 'VARCHAR'],
  ]);
  assert.match(
    await runError("to_number('1.5', '9')"),
    /^INVALID_FUNCTION_INPUT: to_number: the input does not match the format/,
  );
  await assert.rejects(session.sql.translateExpression("to_number(s, '9G')"), {
    code: 'UNSUPPORTED_SPARK_FUNCTION',
  });
  await assert.rejects(session.sql.translateExpression("format_string('%f', 1.5)"), {
    code: 'UNSUPPORTED_SPARK_FUNCTION',
  });
});

test('URLs: url_encode, url_decode, parse_url read as java.net.URI, or fail', async () => {
  const url = "'http://user:pw@host.com:8080/a/b?x=1&y=2#frag'";
  await check([
    ["url_encode('a b é~')", 'a+b+%C3%A9%7E', 'VARCHAR'],
    ["url_decode('https%3A%2F%2Fspark.apache.org')", 'https://spark.apache.org', 'VARCHAR'],
    ["try_url_decode('%zz')", null, 'VARCHAR'],
    [`parse_url(${url}, 'HOST')`, 'host.com', 'VARCHAR'],
    [`parse_url(${url}, 'AUTHORITY')`, 'user:pw@host.com:8080', 'VARCHAR'],
    [`parse_url(${url}, 'FILE')`, '/a/b?x=1&y=2', 'VARCHAR'],
    [`parse_url(${url}, 'QUERY', 'y')`, '2', 'VARCHAR'],
    [`parse_url(${url}, 'REF')`, 'frag', 'VARCHAR'],
    [`parse_url(${url}, 'host')`, null, 'VARCHAR'],
    ["parse_url('http://h.com', 'PATH')", '', 'VARCHAR'],
    ["parse_url('http://h.com', 'QUERY')", null, 'VARCHAR'],
    ["try_parse_url('inva lid://spark.apache.org/path?query=1', 'QUERY')", null, 'VARCHAR'],
  ]);
  assert.match(
    await runError("url_decode('%zz')"),
    /^INVALID_FUNCTION_INPUT: url_decode: the URL has an invalid %-escape/,
  );
  assert.match(
    await runError("parse_url('inva lid://x', 'HOST')"),
    /^INVALID_FUNCTION_INPUT: parse_url: the URL is not valid/,
  );
  // java.net.URI reads a host with '_' as a registry authority (no host): not guessed.
  assert.match(
    await runError("parse_url('http://a_b.com/x', 'HOST')"),
    /^UNSUPPORTED_VALUE: parse_url: sluice cannot read this URL exactly/,
  );
});

test('bits, predicates, typeof', async () => {
  await check([
    ['shiftleft(2, 1)', '4', 'INTEGER'],
    ['shiftleft(-3, 2)', '-12', 'INTEGER'],
    // Java shifts an INT by the amount modulo 32, a BIGINT modulo 64.
    ['shiftright(4, 33)', '2', 'INTEGER'],
    ['shiftright(CAST(4 AS BIGINT), 33)', '0', 'BIGINT'],
    ['shiftrightunsigned(-1, 28)', '15', 'INTEGER'],
    ['shiftrightunsigned(CAST(-1 AS BIGINT), 60)', '15', 'BIGINT'],
    ['bit_get(11, 2)', '0', 'TINYINT'],
    ['bitmap_bucket_number(123)', '1', 'BIGINT'],
    ['bitmap_bit_position(123)', '122', 'BIGINT'],
    ['equal_null(NULL, NULL)', 'true', 'BOOLEAN'],
    ["equal_null(1, '11')", 'false', 'BOOLEAN'],
    ['nullifzero(0)', null, 'INTEGER'],
    ['zeroifnull(NULL)', '0', 'INTEGER'],
    ["nanvl(CAST('NaN' AS DOUBLE), 123)", '123.0', 'DOUBLE'],
    ['typeof(1)', 'int', 'VARCHAR'],
    ['typeof(array(1))', 'array<int>', 'VARCHAR'],
    ["typeof(map('a', 1.5))", 'map<string,decimal(2,1)>', 'VARCHAR'],
    ["typeof(named_struct('a', 1, 'b', 'x'))", 'struct<a:int,b:string>', 'VARCHAR'],
  ]);
  assert.match(
    await runError('bit_get(11, 40)'),
    /^INVALID_FUNCTION_INPUT: bit_get: the position is outside the value/,
  );
  await assert.rejects(session.sql.translateExpression('current_schema()'), {
    code: 'UNSUPPORTED_SPARK_FUNCTION',
  });
});
