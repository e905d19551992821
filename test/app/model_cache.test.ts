// The app's model cache: export once, reuse, and clear errors for missing weights.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { APP_DECODER_SLOTS, ensureExportedModel, modelCacheKey } from '../../src/app/model_cache.js';
import { encoderFileList } from '../../src/model/export_format.js';
import { FIXTURE_DIR, fixtureMissing } from '../model/fixture.js';
import { tempDir } from '../helpers/temp_dir.js';

test('the cache key follows the weights file and the export settings', () => {
  const { dir, cleanup } = tempDir('cache-key');
  try {
    const file = join(dir, 'w.safetensors');
    writeFileSync(file, 'x');
    const key = modelCacheKey(file, undefined);
    assert.equal(key, modelCacheKey(file, undefined));
    assert.notEqual(key, modelCacheKey(file, 4));
    assert.equal(key, modelCacheKey(file, undefined, false));
    assert.notEqual(key, modelCacheKey(file, undefined, true), 'an export with the int8 encoder has its own folder');
    writeFileSync(file, 'xy');
    assert.notEqual(key, modelCacheKey(file, undefined));
  } finally {
    cleanup();
  }
});

test('missing weights are a clear error', async () => {
  await assert.rejects(ensureExportedModel({ weights: '/nonexistent/w.pth', cacheDir: tmpdir() }), /weights file not found: \/nonexistent\/w\.pth/);
});

test('exports once, then reuses the export', { skip: fixtureMissing }, async () => {
  const { dir: cacheDir, cleanup: removeCacheDir } = tempDir('cache');
  try {
    const lines: string[] = [];
    const options = { weights: `${FIXTURE_DIR}sam_weights.pth`, decoderHeads: 4, cacheDir, log: (l: string) => lines.push(l) };
    const dir = await ensureExportedModel(options);
    for (const f of ['encoder_strip.onnx', 'encoder_tail.onnx', 'decoder_image.onnx', 'decoder.onnx', 'ultrasam.json']) assert.ok(existsSync(join(dir, f)), f);
    const manifest = JSON.parse(readFileSync(join(dir, 'ultrasam.json'), 'utf8'));
    assert.equal(manifest.decoder.slots, APP_DECODER_SLOTS);
    const written = statSync(join(dir, 'encoder_tail.onnx')).mtimeMs;
    assert.equal(await ensureExportedModel(options), dir);
    assert.equal(statSync(join(dir, 'encoder_tail.onnx')).mtimeMs, written, 'not exported again');
    assert.match(lines[0], /exporting/);
    assert.match(lines[1], /exported earlier/);
  } finally {
    removeCacheDir();
  }
});

test('with int8Encoder the export has the int8 encoder files, listed in the manifest, in a folder of its own', { skip: fixtureMissing }, async () => {
  const { dir: cacheDir, cleanup: removeCacheDir } = tempDir('cache-int8');
  try {
    const options = { weights: `${FIXTURE_DIR}sam_weights.pth`, decoderHeads: 4, cacheDir };
    const int8Dir = await ensureExportedModel({ ...options, int8Encoder: true });
    const manifest = JSON.parse(readFileSync(join(int8Dir, 'ultrasam.json'), 'utf8'));
    // The fixture's 64 × 64 grid in strips of 14 rows: the short last strip has a graph of its own.
    assert.deepEqual(manifest.files.encoderInt8, {
      strip: 'encoder_strip.int8.onnx',
      lastStrip: 'encoder_strip_last.int8.onnx',
      stripWeights: 'encoder_strip_weights.int8.bin',
      tail: 'encoder_tail.int8.onnx',
    });
    for (const f of encoderFileList(manifest.files.encoderInt8)) assert.ok(existsSync(join(int8Dir, f)), f);
    assert.ok(existsSync(join(int8Dir, 'encoder_strip.onnx')) && existsSync(join(int8Dir, 'encoder_tail.onnx')), 'the fp32 encoder stays (?encoder=fp32)');
    const fp32Dir = await ensureExportedModel(options);
    assert.notEqual(fp32Dir, int8Dir);
    assert.equal(JSON.parse(readFileSync(join(fp32Dir, 'ultrasam.json'), 'utf8')).files.encoderInt8, undefined);
    assert.ok(!existsSync(join(fp32Dir, 'encoder_tail.int8.onnx')));
  } finally {
    removeCacheDir();
  }
});
