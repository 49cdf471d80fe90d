/**
 * Functions whose result is not a function of their arguments — what makes a query give other
 * rows when it runs again. Kept in one place for every rule that depends on it.
 */

/** A new value at every evaluation, even within one statement (`random()`, `uuid()`, sequences). */
export const VOLATILE_FUNCTIONS: readonly string[] = [
  'random',
  'setseed',
  'uuid',
  'gen_random_uuid',
  'uuidv4',
  'uuidv7',
  'nextval',
  'currval',
];

/** The same value within one DuckDB transaction, another in the next (the clock). */
export const CLOCK_FUNCTIONS: readonly string[] = [
  'current_timestamp',
  'get_current_timestamp',
  'now',
  'transaction_timestamp',
  'current_date',
  'today',
  'current_time',
  'get_current_time',
  'localtimestamp',
  'localtime',
];

const VOLATILE_CALL = new RegExp(`\\b(${VOLATILE_FUNCTIONS.join('|')})\\s*\\(`, 'i');

/**
 * Whether DuckDB SQL text may call a volatile function. Textual, so a mention inside a string
 * literal counts too: a false "yes" only costs the caller its faster path.
 */
export function mayCallVolatile(sql: string): boolean {
  return VOLATILE_CALL.test(sql);
}
