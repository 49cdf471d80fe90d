/** Spark functions: strings. See `index.ts` for how rules work. */
import {
  caseNode,
  castNode,
  conjunction,
  constantText,
  integerConstant,
  nullConstant,
  operatorNode,
  stringConstant,
} from '../ast.ts';
import { arity, call, constant, type FunctionRule, renamed } from './rules.ts';

/** Spark's `name(a, b[, c])` where DuckDB needs all three: the third defaults to the string `fill`. */
function optionalThird(name: string, fill: string): FunctionRule {
  return (c) => {
    arity(c, 2, 3);
    return renamed(c, name, c.args.length === 2 ? [...c.args, stringConstant(fill)] : c.args);
  };
}

export const STRING_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  concat: (c) => {
    // Spark's concat is NULL when any argument is NULL; DuckDB's skips NULLs.
    if (c.args.length === 0) return stringConstant('');
    const anyNull = c.args.map((a) => operatorNode('OPERATOR_IS_NULL', structuredClone(a)));
    const when = anyNull.length === 1 ? anyNull[0]! : conjunction('CONJUNCTION_OR', anyNull);
    return caseNode([{ when, result: nullConstant() }], renamed(c, 'concat'));
  },
  lcase: 'lower',
  ucase: 'upper',
  len: 'length',
  char_length: 'length',
  character_length: 'length',
  char: 'chr',
  btrim: 'trim',
  substr: 'substring',
  startswith: 'starts_with',
  endswith: 'suffix',
  format_string: 'printf',
  lpad: optionalThird('lpad', ' '),
  rpad: optionalThird('rpad', ' '),
  replace: optionalThird('replace', ''),
  locate: (c) => {
    arity(c, 2);
    return call('instr', c.args[1]!, c.args[0]!);
  },
  split: (c) => {
    arity(c, 2, 3);
    if (c.args.length === 3 && Number(constantText(c.args[2]!)) > 0)
      c.unsupported('a positive split limit is not supported');
    return call('regexp_split_to_array', c.args[0]!, c.args[1]!);
  },
  rlike: 'regexp_matches',
  regexp: 'regexp_matches',
  regexp_like: 'regexp_matches',
  // `x RLIKE p` is rewritten to `x SIMILAR TO p` before parsing; Spark's RLIKE is a partial match.
  regexp_full_match: 'regexp_matches',
  regexp_extract: (c) => {
    arity(c, 2, 3);
    return call('regexp_extract', c.args[0]!, c.args[1]!, c.args[2] ?? integerConstant(1));
  },
  regexp_replace: (c) => {
    arity(c, 3);
    const rep = constantText(c.args[2]!);
    // Java's `$1` group references are `\1` in RE2.
    const replacement =
      rep === undefined
        ? c.args[2]!
        : stringConstant(rep.replace(/\\\$|\$(\d)/g, (_m, d) => (d ? `\\${d}` : '$')));
    return call('regexp_replace', c.args[0]!, c.args[1]!, replacement, stringConstant('g'));
  },
  base64: 'to_base64',
  unbase64: 'from_base64',
  sha2: (c) => {
    arity(c, 2);
    const bits = constant(c, 1, 'bit length');
    if (bits !== '256' && bits !== '0') c.unsupported(`sha2 with ${bits} bits is not supported (only 256)`);
    return call('sha256', c.args[0]!);
  },
  uuid: (c) => {
    arity(c, 0);
    return castNode(renamed(c, 'uuid'), 'VARCHAR');
  },
};
