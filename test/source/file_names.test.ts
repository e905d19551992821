// One file naming convention: every file and folder under the code rooms is snake_case
// (`model_cache.ts`, `dicom_writer.ts`, `run_tests.mjs`), so an import path can be written from the
// name of the thing without looking up which room spells it with hyphens.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');
const ROOMS = ['src', 'test', 'web/src', 'scripts', 'bench'];

/** Lowercase words joined by `_`; for a file, the part before the first dot (`x.test.ts` → `x`). */
function isSnakeCase(name: string, isFile: boolean): boolean {
  const stem = isFile ? name.split('.')[0] : name;
  return /^[a-z0-9]+(_[a-z0-9]+)*$/.test(stem);
}

/** Paths (relative to the repository) of files and folders under `dir` whose name is not snake_case. */
function misnamed(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules') return [];
    const path = join(dir, e.name);
    const own = isSnakeCase(e.name, !e.isDirectory()) ? [] : [relative(ROOT, path)];
    return e.isDirectory() ? [...own, ...misnamed(path)] : own;
  });
}

test('the name check takes snake_case and rejects kebab-case and capitals', () => {
  for (const ok of ['model_cache.ts', 'run_tests.mjs', 'click_rule.test.ts', 'grid16_nms.json.gz', 'sam.ts']) assert.ok(isSnakeCase(ok, true), ok);
  assert.ok(isSnakeCase('support', false));
  for (const bad of ['model-cache.ts', 'cli-app.test.ts', 'ModelCache.ts', 'model__cache.ts', '_cache.ts']) assert.ok(!isSnakeCase(bad, true), bad);
  assert.ok(!isSnakeCase('test-helpers', false));
});

test(`every file and folder under ${ROOMS.join(', ')} is named in snake_case`, () => {
  const found = ROOMS.flatMap((room) => misnamed(join(ROOT, room)));
  assert.deepEqual(found, [], `not snake_case (rename with git mv and update the imports):\n  ${found.join('\n  ')}`);
});
