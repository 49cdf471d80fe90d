export * from './duckdb.ts';
export * from './durable-file.ts';
export * from './package-root.ts';
