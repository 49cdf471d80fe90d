export { ERROR_CODES, type ErrorCode, type ErrorDomain } from './codes.ts';
export {
  formatError,
  formatLocation,
  isSluiceError,
  SluiceError,
  type SluiceErrorOptions,
  type SourceLocation,
  toSluiceError,
} from './sluice-error.ts';
