export { ERROR_CODES, type ErrorCode, type ErrorDomain } from './codes.ts';
export {
  SluiceError,
  type SluiceErrorOptions,
  type SourceLocation,
  formatError,
  formatLocation,
  isSluiceError,
  toSluiceError,
} from './sluice-error.ts';
