export { ERROR_CODES, type ErrorCode, type ErrorDomain } from './codes.ts';
export { classifyDuckDBError, type DuckDBFailure, duckdbErrorParts } from './duckdb-errors.ts';
export {
  asSluiceError,
  formatError,
  formatLocation,
  isSluiceError,
  SluiceError,
  type SluiceErrorOptions,
  type SourceLocation,
  toSluiceError,
} from './sluice-error.ts';
