export * from './crash-points.ts';
export * from './duckdb.ts';
export * from './durable-file.ts';
export * from './import-module.ts';
export * from './memory-limit.ts';
export * from './package-root.ts';
export * from './scratch-dir.ts';
export * from './source-map.ts';
