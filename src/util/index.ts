export * from './fs.ts';
