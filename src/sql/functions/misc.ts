/**
 * Spark functions: typeof, uuid, and the functions sluice refuses with a reason (see `index.ts`
 * for how rules work). A function missing from every table is refused with a generic message.
 */
import type { AstNode } from '../ast.ts';
import { cast, fail, fn, text, when } from './builders.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

/**
 * DuckDB type names rewritten to Spark's (`INTEGER[]` → `array<int>`), in order: the longer
 * names first (`TIMESTAMP WITH TIME ZONE` before `TIMESTAMP`).
 */
const TYPE_NAMES: readonly [string, string][] = [
  ['\\bTIMESTAMP WITH TIME ZONE\\b', 'timestamp'],
  ['\\bTIMESTAMP\\b', 'timestamp_ntz'],
  ['\\bDECIMAL\\((\\d+),(\\d+)\\)', 'decimal(\\1,\\2)'],
  ['\\bBOOLEAN\\b', 'boolean'],
  ['\\bTINYINT\\b', 'tinyint'],
  ['\\bSMALLINT\\b', 'smallint'],
  ['\\bINTEGER\\b', 'int'],
  ['\\bBIGINT\\b', 'bigint'],
  ['\\bFLOAT\\b', 'float'],
  ['\\bDOUBLE\\b', 'double'],
  ['\\bVARCHAR\\b', 'string'],
  ['\\bBLOB\\b', 'binary'],
  ['\\bDATE\\b', 'date'],
  ['^"?NULL"?$', 'void'],
];

/** A Spark type name already rewritten: a lower-case word, with decimal's precision and scale. */
const SCALAR = '[a-z_]+(?:\\(\\d+,\\d+\\))?';

/**
 * Spark's typeof: the Spark name of the argument's type. DuckDB's `typeof` is known when the
 * query is bound, and the rewrite to Spark's names folds with it; a DuckDB type Spark has no
 * name for (HUGEINT, INTERVAL, UUID, nested structs of arrays …) fails the query.
 */
function typeOf(c: FunctionCall): AstNode {
  arity(c, 1);
  let t: AstNode = fn('typeof', c.args[0]!);
  const replace = (re: string, by: string) => {
    t = fn('regexp_replace', t, text(re), text(by), text('g'));
  };
  for (const [re, by] of TYPE_NAMES) replace(re, by);
  // Arrays of scalars, up to three levels: X[][] → array<array<X>>.
  replace(`(${SCALAR})\\[\\]\\[\\]\\[\\]`, 'array<array<array<\\1>>>');
  replace(`(${SCALAR})\\[\\]\\[\\]`, 'array<array<\\1>>');
  replace(`(${SCALAR})\\[\\]`, 'array<\\1>');
  // MAP(K, V) and STRUCT(a T, …) of the names above.
  const part = `(?:${SCALAR}|array<[^()]*?>)`;
  replace(`MAP\\((${part}), (${part})\\)`, 'map<\\1,\\2>');
  replace(`STRUCT\\(((?:[a-zA-Z_][a-zA-Z0-9_]* ${part}(?:, )?)+)\\)`, 'struct<\\1>');
  replace(`(struct<|,) ?([a-zA-Z_][a-zA-Z0-9_]*) (${part})`, '\\1\\2:\\3');
  const done = () => structuredClone(t);
  return when(
    [
      [
        fn('regexp_matches', done(), text('[A-Z]{3,}|\\[|\\(\\D')),
        fail('UNSUPPORTED_VALUE', 'typeof: the type has no Spark name sluice knows'),
      ],
    ],
    done(),
  );
}

/** A rule refusing a function with the reason sluice cannot translate it. */
const refused =
  (reason: string): FunctionRule =>
  (c) =>
    c.unsupported(reason);

export const MISC_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  typeof: typeOf,
  uuid: (c) => {
    arity(c, 0);
    return cast(fn('uuid'), 'VARCHAR');
  },
  current_catalog: refused(
    "the pipeline's catalog is not known to the query (it depends on the pipeline settings)",
  ),
  current_database: refused(
    "the pipeline's schema is not known to the query (it depends on the pipeline settings)",
  ),
  current_schema: refused(
    "the pipeline's schema is not known to the query (it depends on the pipeline settings)",
  ),
  sentences: refused("sentences follow Java's locale-dependent BreakIterator, which DuckDB lacks"),
  randstr: refused("randstr follows Spark's random number generator, which DuckDB lacks"),
  collation: refused('sluice has no collations'),
  from_csv: refused("Spark's CSV parser (options, quoting, type inference) has no exact DuckDB equivalent"),
  to_csv: refused("Spark's CSV writer (quoting, value formats) has no exact DuckDB equivalent"),
  schema_of_csv: refused("Spark's CSV schema inference has no exact DuckDB equivalent"),
};
