export * from './duckdb.ts';
export * from './fs.ts';
