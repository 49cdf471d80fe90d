/** Spark functions: arrays, maps, structs and lambdas. See `index.ts` for how rules work. */
import { type AstNode, constantText, stringConstant } from '../ast.ts';
import { arity, call, constant, type FunctionRule, renamed } from './rules.ts';

export const COLLECTION_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  filter: 'list_filter',
  transform: 'list_transform',
  array: 'list_value',
  size: 'len',
  array_size: 'len',
  cardinality: 'len',
  array_contains: 'list_contains',
  array_distinct: 'list_distinct',
  array_join: (c) => {
    arity(c, 2);
    return renamed(c, 'array_to_string');
  },
  explode: (c) => {
    arity(c, 1);
    return renamed(c, 'unnest');
  },
  sort_array: (c) => {
    arity(c, 1, 2);
    const asc = c.args.length === 1 || constantText(c.args[1]!) !== 'false';
    return call('list_sort', c.args[0]!, stringConstant(asc ? 'ASC' : 'DESC'));
  },
  named_struct: (c) => {
    if (c.args.length % 2 !== 0) c.unsupported('named_struct takes name/value pairs');
    const fields: AstNode[] = [];
    for (let i = 0; i < c.args.length; i += 2)
      fields.push({ ...c.args[i + 1]!, alias: constant(c, i, 'field name') });
    return call('struct_pack', ...fields);
  },
};
