// Stands in for `@duckdb/node-bindings` in the CLI bundle (see build.js). On glibc Linux it loads
// DuckDB's native binding directly: the package first asks detect-libc whether the C library is
// musl, which loads child_process — about 10 ms of every start. Anywhere else, or when the
// direct load fails (musl, a package that is not hoisted), the package decides as usual.
let binding;
if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')) {
  try {
    binding = require(`@duckdb/node-bindings-linux-${process.arch}/duckdb.node`);
  } catch {
    binding = undefined;
  }
}
module.exports = binding ?? require('@duckdb/node-bindings');
