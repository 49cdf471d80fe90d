import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toSluiceError } from '../../src/index.ts';
import { translateJavaRegex } from '../../src/sql/functions/regex.ts';
import { session } from '../helpers/session.ts';
import { rows } from './helpers.ts';

/** Whether the Java pattern (translated to RE2) finds a match in `input`, run in DuckDB. */
async function finds(pattern: string, input: string): Promise<boolean> {
  const t = translateJavaRegex(pattern);
  assert.ok(t.ok, `${pattern}: ${t.ok ? '' : t.reason}`);
  const [r] = await rows(`SELECT regexp_matches($$${input}$$, $$${t.re2}$$) AS m`);
  return r!.m as boolean;
}

/** The value of a Spark expression, run in DuckDB (as text). */
async function spark(expr: string): Promise<unknown> {
  const sql = await session.sql.translateExpression(expr);
  const [r] = await rows(`SELECT CAST(${sql} AS VARCHAR) AS v`);
  return r!.v;
}

test("Java's meaning of '.', \\s, \\h, \\v, POSIX classes and (?i) is kept in RE2", async () => {
  // Java's '.' stops at \r, \u0085, \u2028, \u2029 as well as \n; (?s) matches them.
  assert.equal(await finds('a.b', 'a\rb'), false);
  assert.equal(await finds('a.b', 'a\u2028b'), false);
  assert.equal(await finds('(?s)a.b', 'a\rb'), true);
  assert.equal(await finds('(?d)a.b', 'a\rb'), true);
  // \s includes the vertical tab (RE2's does not).
  assert.equal(await finds('^\\s$', '\u000B'), true);
  assert.equal(await finds('[^\\s]', '\u000B'), false);
  assert.equal(await finds('\\h', '\u00A0'), true);
  assert.equal(await finds('\\v', '\u2028'), true);
  assert.equal(await finds('^\\p{Punct}+$', '!#/:@[`{~'), true);
  assert.equal(await finds('\\p{Alpha}', 'é'), false);
  assert.equal(await finds('\\p{L}', 'é'), true);
  assert.equal(await finds('\\p{IsLatin}', 'é'), true);
  // (?i) folds ASCII only, as Java does without UNICODE_CASE.
  assert.equal(await finds('(?i)ABC[d-f]', 'abcE'), true);
  assert.equal(await finds('(?i)é', 'É'), false);
  assert.equal(await finds('(?i)k', '\u212A'), false);
  assert.equal(await finds('a(?i)b', 'aB'), true);
  assert.equal(await finds('a(?i:b)c', 'aBC'), false);
  // Escapes.
  assert.equal(await finds('^\\x41\\u00e9\\t\\0101$', 'Aé\tA'), true);
  assert.equal(await finds('\\Qa.b\\E+', 'a.bbb'), true);
  assert.equal(await finds('\\Qa.b\\E', 'axb'), false);
  assert.equal(await finds('^\\uD83D\\uDE00$', '😀'), true);
  assert.equal(await finds('(?<year>\\d{4})-\\d', '2024-1'), true);
});

test('a possessive quantifier is kept only where it means the greedy one', () => {
  const ok = translateJavaRegex('([ ]*+[a-zA-Z].*)|(n/a)');
  assert.ok(ok.ok);
  assert.equal(ok.re2, `( *[A-Za-z][^\\x{a}\\x{d}\\x{85}\\x{2028}-\\x{2029}]*)|(n/a)`);
  assert.ok(translateJavaRegex('a++$').ok === false);
  assert.ok(translateJavaRegex('[a-z]*+a').ok === false);
  assert.ok(translateJavaRegex('\\d++').ok);
});

test('Java constructs RE2 lacks are refused with the reason', () => {
  const reasons = Object.fromEntries(
    [
      '(?=a)',
      '(?<!a)b',
      '(?>a)',
      '(a)\\1',
      '\\k<x>',
      '[a-z&&[^b]]',
      'a{1001}',
      '(?x) a',
      '\\R',
      '\\p{InGreek}',
      '[]a]',
      '*a',
    ].map((p) => {
      const t = translateJavaRegex(p);
      return [p, t.ok ? 'translated' : t.reason];
    }),
  );
  for (const [p, reason] of Object.entries(reasons)) assert.notEqual(reason, 'translated', p);
  assert.match(reasons['(?=a)']!, /look-ahead/);
  assert.match(reasons['(a)\\1']!, /back references/);
});

test("'$' and (?m) carry a guard for the inputs where Java and RE2 differ", () => {
  const dollar = translateJavaRegex('abc$');
  assert.ok(dollar.ok);
  assert.equal(dollar.re2, 'abc\\z');
  assert.equal(dollar.guard, '[\\n\\r\\x{85}\\x{2028}\\x{2029}]\\z');
  const multi = translateJavaRegex('(?m)^a$');
  assert.ok(multi.ok && multi.guard);
  const plain = translateJavaRegex('^\\d+');
  assert.ok(plain.ok && plain.guard === undefined);
});

test('regexp functions: Spark results, Java semantics, failures where they differ', async () => {
  assert.equal(await spark("regexp_extract('100-200', '(\\\\d+)-(\\\\d+)', 2)"), '200');
  assert.equal(await spark("regexp_extract('abc', '(x)?b', 1)"), '');
  assert.equal(await spark("regexp_extract_all('100-200, 300-400', '(\\\\d+)-(\\\\d+)', 1)"), '[100, 300]');
  assert.equal(await spark("regexp_count('abcdefghijklmnopqrstuvwxyz', '[a-z]{3}')"), '8');
  assert.equal(await spark("regexp_substr('Steven Jones', 'Jeck')"), null);
  assert.equal(await spark("regexp_instr('user@spark.apache.org', '@[^.]*')"), '5');
  // Java counts UTF-16 units: the emoji before the match counts twice.
  assert.equal(await spark("regexp_instr('😀x', 'x')"), '3');
  assert.equal(await spark("regexp_replace('a1b2', '(\\\\d)', '<$1>')"), 'a<1>b<2>');
  assert.equal(await spark("regexp_replace('a b  c', '\\\\s*', '')"), 'abc');
  assert.equal(await spark("split('oneAtwoBthreeC', '[ABC]', 2)"), '[one, twoBthreeC]');
  assert.equal(await spark("split('abc', '', 2)"), '[a, b]');
  assert.equal(await spark("'a\rb' RLIKE 'a.b'"), 'false');
  assert.equal(
    await spark("rlike('%SystemDrive%\\\\Users\\\\John', '%SystemDrive%\\\\\\\\Users.*')"),
    'true',
  );
  assert.equal(await spark("like('Spark', '_park')"), 'true');
  assert.equal(await spark("ilike('Spark', '_PARK')"), 'true');
  assert.equal(await spark("like('a%b', 'a\\\\%b')"), 'true');
  assert.equal(await spark("like('axb', 'a\\\\%b')"), 'false');
  // Java's '$' also matches before a final line break; RE2's does not: such a row fails.
  const sql = await session.sql.translateExpression("regexp_extract(s, 'b$', 0)");
  await assert.rejects(rows(`SELECT ${sql} FROM (SELECT 'ab' || chr(10) AS s)`), (e) => {
    assert.equal(toSluiceError(e, 'QUERY_FAILED').code, 'UNSUPPORTED_REGEX');
    assert.match(toSluiceError(e, 'QUERY_FAILED').message, /line break/);
    return true;
  });
  assert.deepEqual(await rows(`SELECT ${sql} AS v FROM (SELECT 'ab' AS s)`), [{ v: 'b' }]);
});

test('a pattern sluice cannot translate is UNSUPPORTED_REGEX at compile time, with its location', async () => {
  await assert.rejects(session.sql.translateExpression("regexp_replace(s, '[a-z]*+b', '')"), {
    code: 'UNSUPPORTED_REGEX',
  });
  await assert.rejects(session.sql.translateExpression("s RLIKE '(?=a)b'"), { code: 'UNSUPPORTED_REGEX' });
  await assert.rejects(session.sql.translateExpression('regexp_extract(s, p)'), {
    code: 'UNSUPPORTED_REGEX',
  });
  // RE2 skips an empty match right after a match, Java replaces it: only '' is exact.
  await assert.rejects(session.sql.translateExpression("regexp_replace(s, 'a*', '-')"), {
    code: 'UNSUPPORTED_REGEX',
  });
  await assert.rejects(session.sql.translateExpression("split(s, 'x*')"), { code: 'UNSUPPORTED_REGEX' });
  const q = session.sql.compileQuery("SELECT\n  regexp_extract(s, '(?<=a)b') AS x FROM t", {
    location: { file: 'p.sql', line: 10, column: 1 },
  });
  await assert.rejects(q, (e: { code: string; location?: { line: number } }) => {
    assert.equal(e.code, 'UNSUPPORTED_REGEX');
    assert.equal(e.location?.line, 11);
    return true;
  });
});
