import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { datasetKey, findDataset, getDataset, listDatasets } from '../../src/data/registry.js';

test('names and aliases are found in any case and spelling of separators', () => {
  assert.equal(getDataset('ddti').info.name, 'DDTI');
  assert.equal(getDataset('usgra_seg').info.name, 'USGRA-Seg');
  assert.equal(getDataset('USGRA SEG').info.name, 'USGRA-Seg');
  assert.equal(getDataset('Dataset_BUSI_with_GT').info.name, 'BUSI');
  assert.equal(datasetKey('FH-PS-AOP'), datasetKey('fh_ps_aop'));
  assert.equal(findDataset('no-such-thing'), undefined);
  assert.throws(
    () => getDataset('nope'),
    (error: Error) => /unknown dataset "nope"; known datasets: .*DDTI.*HC18.*PSFHS.*TG3K.*USGRA-Seg/.test(error.message),
  );
});

test('every dataset module file is registered, with a complete entry', () => {
  const files = readdirSync(new URL('../../src/data/datasets/', import.meta.url)).filter((f) => f.endsWith('.ts'));
  const modules = listDatasets();
  assert.equal(modules.length, files.length, `registered ${modules.length}, files ${files.length}`);
  const names = new Set<string>();
  for (const { info } of modules) {
    assert.ok(!names.has(info.name), `duplicate ${info.name}`);
    names.add(info.name);
    for (const field of ['name', 'anatomy', 'modality', 'url', 'licence', 'citation', 'layout'] as const) {
      assert.ok(typeof info[field] === 'string' && info[field].length > 0, `${info.name}: ${field}`);
    }
    assert.ok(info.structures.length > 0, `${info.name}: structures`);
    assert.equal(new Set(info.structures).size, info.structures.length, `${info.name}: repeated structure`);
  }
  const sorted = modules.map((m) => m.info.name);
  assert.deepEqual(
    sorted,
    [...sorted].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })),
  );
});
