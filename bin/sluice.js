#!/usr/bin/env node
// Runs the CLI from TypeScript source through tsx: no build step after `npm install`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
