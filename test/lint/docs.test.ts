// Every rule has its page in docs/rules/: what it checks, why, how to fix, how to suppress.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LINT_RULES } from '../../src/index.ts';
import { ROOT } from '../helpers/tmp.ts';

test('docs/rules has a page per rule with the four sections, and the index lists every rule', () => {
  const index = readFileSync(join(ROOT, 'docs', 'rules', 'README.md'), 'utf8');
  for (const rule of LINT_RULES) {
    const page = join(ROOT, 'docs', 'rules', `${rule.id}.md`);
    assert.ok(existsSync(page), `${rule.id}.md exists`);
    const text = readFileSync(page, 'utf8');
    assert.ok(text.startsWith(`# ${rule.id} — ${rule.title}\n`), rule.id);
    assert.ok(text.includes(`Default severity: **${rule.defaultSeverity}**`), rule.id);
    for (const section of ['## What it checks', '## Why', '## How to fix', '## How to suppress'])
      assert.ok(text.includes(section), `${rule.id}: ${section}`);
    assert.ok(
      index.includes(`| [${rule.id}](${rule.id}.md) | ${rule.name} | ${rule.defaultSeverity} |`),
      rule.id,
    );
  }
});
