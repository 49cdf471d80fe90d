export * from './duckdb.ts';
export * from './fs.ts';
export * from './package-root.ts';
