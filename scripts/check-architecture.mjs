#!/usr/bin/env node
// Checks the architecture of src/: which files may import which, and where state may live.
// Parses every src/**/*.ts with the TypeScript compiler API (no type checking) and collects
// every import edge: `import … from`, `import type … from`, `export … from`, `export * from`,
// dynamic `import('…')` and `import('…')` types (both with a string literal). Only relative
// specifiers ('./', '../') are project edges; bare ones (node:*, packages) are ignored.
//
// Rules:
//   layers       The top-level folders of src/ form the layers in LAYERS (lowest first); the root
//                file src/index.ts (the package front door) sits at ROOT_INDEX_LEVEL. A file may
//                import files in its own folder and files of folders at a strictly lower level.
//                Importing a higher level ("upward import") or a peer folder at the same level is
//                a violation, and so is a folder (or root file) that is not in the table.
//   front-door   An import that crosses into another top-level folder must target that folder's
//                index.ts (src/<folder>/index.ts), unless the target is in FRONT_DOOR_EXCEPTIONS.
//   cli          Files under src/cli/ may import only other src/cli/ files, src/index.ts and
//                src/server/index.ts (the dashboard `sluice ui` serves; it sits above the front door).
//   cycle        No import cycle among files (type-only imports count). One concrete cycle is
//                reported per strongly connected component.
//   module-state No module-level mutable state: (a) no top-level `let`/`var` (exported or not);
//                (b) no top-level `const X = new Map|Set|WeakMap|WeakSet(…)`, `[…]` or `{…}` that
//                the same file mutates (X.set/add/delete/clear/push/pop/splice/shift/unshift(…),
//                or an assignment, ++/-- or `delete` on X[…] / X.prop). Function and class
//                bodies are not module level. (Name-based: a local that shadows X also counts.)
//   resolve      A relative import must name an existing file.
//
// Usage: node scripts/check-architecture.mjs [--json]
// Prints one line per violation (`file:line rule: message`) and exits 1, or a one-line OK summary.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// require(), not import: importing the 9 MB CommonJS file from ESM makes Node scan it for
// named exports first, which doubles the script's run time.
const ts = createRequire(import.meta.url)('typescript');

// ─── The layer table: edit here ─────────────────────────────────────────────────────────────
/** Top-level folders of src/, lowest level first. Folders on one line are peers. */
const LAYERS = [
  ['util'],
  ['errors'],
  ['model'],
  ['sql', 'spec', 'python'],
  ['api'],
  ['graph'],
  ['storage'],
  ['events'],
  ['engine', 'query', 'export', 'lint'],
  ['observers'],
  ['public-api'],
  ['server'],
  ['cli'],
];
/** src/index.ts: above public-api (level 11), below server and cli (12, 13). */
const ROOT_INDEX_LEVEL = 11.5;
/** Paths under src/ (e.g. 'storage/delta/commit.ts') that other folders may import directly. */
const FRONT_DOOR_EXCEPTIONS = new Set([]);
// ────────────────────────────────────────────────────────────────────────────────────────────

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const MUTATORS = new Set(['set', 'add', 'delete', 'clear', 'push', 'pop', 'splice', 'shift', 'unshift']);
const COLLECTIONS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet']);

const levelOf = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i + 1])));
const rel = (abs) => relative(ROOT, abs).split(sep).join('/'); // 'src/engine/store.ts'
const inSrc = (abs) => relative(SRC, abs).split(sep).join('/'); // 'engine/store.ts'
/** The top-level folder of a src/ path, '' for a root file, null outside src/. */
function folderOf(abs) {
  const p = inSrc(abs);
  if (p.startsWith('..')) return null;
  return p.includes('/') ? p.slice(0, p.indexOf('/')) : '';
}
/** Layer level of a file: its folder's level, ROOT_INDEX_LEVEL for src/index.ts, else undefined. */
function levelOfFile(abs) {
  const folder = folderOf(abs);
  if (folder === '') return inSrc(abs) === 'index.ts' ? ROOT_INDEX_LEVEL : undefined;
  return levelOf.get(folder);
}

const violations = [];
const report = (file, line, rule, message) => violations.push({ file: rel(file), line, rule, message });
const lineOf = (sf, node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;

// ─── Parse: import edges and module-level state ─────────────────────────────────────────────
/** Every relative import of a file: { spec, line, target (absolute, resolved or not) }. */
function importsOf(sf, file) {
  const edges = [];
  const add = (lit) => {
    if (!lit || !ts.isStringLiteralLike(lit) || !/^\.\.?\//.test(lit.text)) return;
    edges.push({ spec: lit.text, line: lineOf(sf, lit), target: resolve(dirname(file), lit.text) });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      add(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

/** Strips `(…)`, `as T`, `satisfies T`, `<T>…` and `!` around an expression. */
function unwrap(e) {
  while (
    ts.isParenthesizedExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isSatisfiesExpression(e) ||
    ts.isTypeAssertionExpression(e) ||
    ts.isNonNullExpression(e)
  )
    e = e.expression;
  return e;
}

const isMutableInit = (init) => {
  const e = init && unwrap(init);
  if (!e) return false;
  if (ts.isArrayLiteralExpression(e) || ts.isObjectLiteralExpression(e)) return true;
  return ts.isNewExpression(e) && ts.isIdentifier(e.expression) && COLLECTIONS.has(e.expression.text);
};

/** Names of identifiers X mutated in the file (X.set(…), X[k] = …, X.p++, delete X.p, …) → first line. */
function mutatedNames(sf) {
  const found = new Map();
  const note = (target, node) => {
    const t = unwrap(target);
    const x = (ts.isPropertyAccessExpression(t) || ts.isElementAccessExpression(t)) && unwrap(t.expression);
    if (x && ts.isIdentifier(x)) {
      const name = x.text;
      if (!found.has(name)) found.set(name, lineOf(sf, node));
    }
  };
  const visit = (node) => {
    if (ts.isCallExpression(node)) {
      const callee = unwrap(node.expression);
      if (ts.isPropertyAccessExpression(callee) && MUTATORS.has(callee.name.text)) note(callee, node);
    } else if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      node.operatorToken.kind <= ts.SyntaxKind.LastAssignment
    ) {
      note(node.left, node);
    } else if (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) {
      const op = node.operator;
      if (op === ts.SyntaxKind.PlusPlusToken || op === ts.SyntaxKind.MinusMinusToken)
        note(node.operand, node);
    } else if (ts.isDeleteExpression(node)) {
      note(node.expression, node);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Identifier names bound by a declaration name (plain or destructuring). */
function boundNames(name) {
  if (ts.isIdentifier(name)) return [name];
  return name.elements.flatMap((el) => (ts.isOmittedExpression(el) ? [] : boundNames(el.name)));
}

function checkModuleState(sf, file) {
  let mutated; // computed lazily: most files have no candidate
  for (const stmt of sf.statements) {
    if (!ts.isVariableStatement(stmt)) continue;
    if (stmt.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)) continue;
    const flags = stmt.declarationList.flags;
    const kind = flags & ts.NodeFlags.Let ? 'let' : flags & ts.NodeFlags.Const ? 'const' : 'var';
    for (const decl of stmt.declarationList.declarations) {
      for (const id of boundNames(decl.name)) {
        const line = lineOf(sf, id);
        if (kind !== 'const') {
          report(file, line, 'module-state', `module-level \`${kind} ${id.text}\``);
        } else if (ts.isIdentifier(decl.name) && isMutableInit(decl.initializer)) {
          mutated ??= mutatedNames(sf);
          const at = mutated.get(id.text);
          if (at)
            report(file, line, 'module-state', `module-level \`const ${id.text}\` is mutated (line ${at})`);
        }
      }
    }
  }
}

// ─── Check ──────────────────────────────────────────────────────────────────────────────────
const files = readdirSync(SRC, { recursive: true })
  .filter((f) => /\.(c|m)?tsx?$/.test(f))
  .map((f) => join(SRC, f))
  .sort();
const graph = new Map(); // file → [{ target, line }] for resolved targets, in source order
let importsChecked = 0;

const unknownFolders = new Set();

for (const file of files) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const folder = folderOf(file);
  if (folder === '' && inSrc(file) !== 'index.ts')
    report(file, 1, 'layers', 'root file is not in the layer table (only src/index.ts is)');
  else if (folder !== '' && !levelOf.has(folder) && !unknownFolders.has(folder)) {
    unknownFolders.add(folder);
    report(file, 1, 'layers', `folder src/${folder}/ is not in the layer table`);
  }
  checkModuleState(sf, file);

  const edges = [];
  for (const { spec, line, target } of importsOf(sf, file)) {
    importsChecked++;
    const from = folder;
    const to = folderOf(target);
    if (!existsSync(target)) report(file, line, 'resolve', `'${spec}' names no file`);
    else edges.push({ target, line });
    if (to === null) {
      report(file, line, 'layers', `'${spec}' imports from outside src/`);
      continue;
    }
    const targetIsRootIndex = to === '' && inSrc(target) === 'index.ts';
    const targetIsServerIndex = inSrc(target) === 'server/index.ts';
    if (from === 'cli' && to !== 'cli' && !targetIsRootIndex && !targetIsServerIndex)
      report(
        file,
        line,
        'cli',
        `src/cli/ may import only src/cli/, src/index.ts and src/server/index.ts, not ${rel(target)}`,
      );
    if (to === from && to !== '') continue; // own folder: always allowed
    const [mine, theirs] = [levelOfFile(file), levelOfFile(target)];
    if (mine !== undefined && theirs !== undefined) {
      const what = to === '' ? rel(target) : `${to}/`;
      if (theirs > mine) report(file, line, 'layers', `upward import of ${what} (level ${theirs} > ${mine})`);
      else if (theirs === mine)
        report(file, line, 'layers', `import of peer folder ${what} (both level ${mine})`);
    }
    if (to !== '' && inSrc(target) !== `${to}/index.ts` && !FRONT_DOOR_EXCEPTIONS.has(inSrc(target)))
      report(file, line, 'front-door', `'${spec}' bypasses src/${to}/index.ts`);
  }
  graph.set(file, edges);
}

// Cycles: Tarjan's strongly connected components, then one shortest cycle per component.
function stronglyConnected() {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const out = [];
  let next = 0;
  const connect = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const { target: w } of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      out.push(scc);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return out;
}

for (const scc of stronglyConnected()) {
  const members = new Set(scc);
  const start = [...scc].sort()[0];
  if (scc.length === 1 && !(graph.get(start) ?? []).some((e) => e.target === start)) continue;
  // Breadth-first from `start` inside the component until an edge leads back to it.
  const parent = new Map([[start, null]]);
  const queue = [start];
  let last;
  while (queue.length > 0 && last === undefined) {
    const v = queue.shift();
    for (const { target } of graph.get(v)) {
      if (target === start) {
        last = v;
        break;
      }
      if (members.has(target) && !parent.has(target)) {
        parent.set(target, v);
        queue.push(target);
      }
    }
  }
  const path = [start];
  for (let v = last; v !== start; v = parent.get(v)) path.splice(1, 0, v);
  const line = graph.get(start).find((e) => e.target === (path[1] ?? start)).line;
  const others = scc.filter((f) => !path.includes(f)).map(rel);
  const more = others.length > 0 ? ` (same component: ${others.sort().join(', ')})` : '';
  report(start, line, 'cycle', [...path, start].map(rel).join(' → ') + more);
}

// ─── Report ─────────────────────────────────────────────────────────────────────────────────
const ruleOrder = ['layers', 'front-door', 'cli', 'cycle', 'module-state', 'resolve'];
violations.sort(
  (a, b) =>
    ruleOrder.indexOf(a.rule) - ruleOrder.indexOf(b.rule) || a.file.localeCompare(b.file) || a.line - b.line,
);
const summary = { filesChecked: files.length, importsChecked, violations };
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ ok: violations.length === 0, ...summary }, null, 2));
} else if (violations.length === 0) {
  console.log(`architecture OK: ${files.length} files, ${importsChecked} imports checked`);
} else {
  for (const v of violations) console.log(`${v.file}:${v.line} ${v.rule}: ${v.message}`);
  const counts = ruleOrder.flatMap((r) => {
    const n = violations.filter((v) => v.rule === r).length;
    return n > 0 ? [`${r} ${n}`] : [];
  });
  const where = `${files.length} files, ${importsChecked} imports`;
  console.log(`\n${violations.length} architecture violations (${counts.join(', ')}) in ${where}`);
}
process.exitCode = violations.length === 0 ? 0 : 1;
