import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listDatasets } from '../../src/data/registry.js';
import { ANATOMIES, STRUCTURES, canonicalStructure, checkStructureNames, datasetTaxonomy, requireCanonicalStructure, taxonomyDatasets } from '../../src/data/structures.js';

test('the taxonomy maps exactly the registry: every dataset, every one of its categories, nothing else', () => {
  const registered = listDatasets().map((m) => m.info.name);
  assert.deepEqual([...taxonomyDatasets()].sort(), [...registered].sort());
  for (const { info } of listDatasets()) {
    const taxonomy = datasetTaxonomy(info.name);
    assert.ok(taxonomy, `${info.name} has no taxonomy entry`);
    assert.deepEqual(Object.keys(taxonomy.structures).sort(), [...info.structures].sort(), `${info.name}: categories and taxonomy differ`);
  }
});

test('every canonical structure and anatomy is used, and there are fewer structures than category names', () => {
  const used = new Set(taxonomyDatasets().flatMap((d) => Object.values(datasetTaxonomy(d)!.structures)));
  assert.deepEqual([...used].sort(), Object.keys(STRUCTURES).sort());
  const anatomies = new Set(taxonomyDatasets().map((d) => datasetTaxonomy(d)!.anatomy));
  assert.deepEqual([...anatomies].sort(), [...ANATOMIES].sort());
  const categoryNames = new Set(listDatasets().flatMap((m) => m.info.structures));
  assert.ok(used.size < categoryNames.size, `${used.size} structures for ${categoryNames.size} category names`);
  for (const name of Object.keys(STRUCTURES)) assert.match(name, /^[a-z][a-z0-9_]*$/, `canonical names are snake_case: ${name}`);
});

test('synonyms become one structure; generic names stay apart where they mean different things', () => {
  const breast = [
    ['BUID', 'breast_nodule'],
    ['BUS', 'breast_nodule'],
    ['BrEaST', 'breast_nodule'],
    ['BUSI', 'breast_lesion'],
    ['BUS_UC', 'breast_benign'],
    ['BUS_UC', 'breast_malignant'],
    ['BUS-BRA', 'breast_nodule_benign'],
    ['BUS-UCLM', 'benign_breast_lesion'],
    ['BUS-UCLM', 'malignant_breast_lesion'],
    ['S1', 'benign_tumour'],
    ['STU-Hospital', 'breast_tumour'],
  ];
  for (const [dataset, category] of breast) assert.equal(canonicalStructure(dataset, category), 'breast_lesion', `${dataset} ${category}`);
  assert.equal(canonicalStructure('TG3K', 'thyroid_gland'), canonicalStructure('Segthy', 'thyroid'));
  assert.equal(canonicalStructure('CCAUI', 'carotid_artery'), canonicalStructure('Segthy', 'carotid'));
  assert.equal(canonicalStructure('HC18', 'fetal_head'), canonicalStructure('PSFHS', 'fetal_head'));
  assert.equal(canonicalStructure('CAMUS', 'endocardium'), canonicalStructure('EchoNet-Dynamic', 'left_ventricle'));
  // The same dataset word, different things.
  assert.notEqual(canonicalStructure('FASS', 'artery'), canonicalStructure('UBPD', 'artery'));
  assert.notEqual(canonicalStructure('FASS', 'liver'), canonicalStructure('AUL', 'liver'));
  assert.notEqual(canonicalStructure('CAMUS', 'epicardium'), canonicalStructure('CardiacUDC', 'epicardium'));
});

test('look-ups go by registry name or alias; unknown ones are undefined or a clear error', () => {
  assert.equal(canonicalStructure('usgra_seg', 'nerve'), 'peripheral_nerve');
  assert.equal(datasetTaxonomy('fh_ps_aop')?.anatomy, 'intrapartum pelvis');
  assert.equal(canonicalStructure('DDTI', 'nodule'), undefined);
  assert.equal(canonicalStructure('DDTI', 'toString'), undefined);
  assert.equal(canonicalStructure('Nope', 'lesion'), undefined);
  assert.throws(
    () => requireCanonicalStructure('DDTI', 'nodule', 'c/DDTI/DDTI.coco.json'),
    /^Error: c\/DDTI\/DDTI\.coco\.json: category "nodule" of DDTI has no canonical structure; DDTI's categories are thyroid_nodule/,
  );
  assert.throws(() => requireCanonicalStructure('Nope', 'lesion', 'c/Nope/Nope.coco.json'), /c\/Nope\/Nope\.coco\.json: dataset "Nope" is not in the structure taxonomy/);
  assert.doesNotThrow(() => checkStructureNames(['breast_lesion', 'thyroid_nodule'], '--only-structure'));
  assert.throws(
    () => checkStructureNames(['breast_nodule'], '--only-structure'),
    /--only-structure: unknown structure "breast_nodule": "breast_nodule" is a dataset category; its canonical structure is breast_lesion/,
  );
  assert.throws(() => checkStructureNames(['spleeen'], '--exclude-structure'), /--exclude-structure: unknown structure "spleeen" \(canonical structures: a_line, /);
});
