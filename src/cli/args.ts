import { type ParseArgsConfig, parseArgs } from 'node:util';
import { SluiceError } from '../index.ts';

/** `node:util` parseArgs, with unknown options and bad values turned into coded USAGE errors. */
export function parseCliArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true });
  } catch (e) {
    throw new SluiceError('USAGE', (e as Error).message, { cause: e });
  }
}
