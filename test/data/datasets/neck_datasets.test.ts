/**
 * Converters of the thyroid, carotid and brachial-plexus datasets (TN3K, TNSCUI, CCAUI,
 * Ultrasound Nerve Segmentation, UBPD), each on a tiny synthetic raw folder in its own layout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { dataset as ccaui } from '../../../src/data/datasets/ccaui.js';
import { dataset as nerve } from '../../../src/data/datasets/nerve_segmentation.js';
import { dataset as tn3k } from '../../../src/data/datasets/tn3k.js';
import { dataset as tnscui } from '../../../src/data/datasets/tnscui.js';
import { dataset as ubpd } from '../../../src/data/datasets/ubpd.js';
import { blank, convertAll, countIn, isRectangle, maskOf, paint, scan, strictError, writeRaster, writeText } from './raw_fixtures.js';
import { tempDir } from '../../helpers/temp_dir.js';

const W = 32;
const H = 24;
const rectMask = (x0: number, y0: number, x1: number, y1: number, value = 255, w = W, h = H) => paint(blank(w, h), x0, y0, x1, y1, [value]);

let root: string;
let removeRoot: () => void;
before(async () => {
  ({ dir: root, cleanup: removeRoot } = tempDir('neck'));
});
after(async () => {
  removeRoot();
});

describe('TN3K', () => {
  test('thresholds JPEG masks, keeps the test part as official test, reports a size mismatch', async () => {
    const dir = join(root, 'tn3k/Thyroid Dataset/tn3k');
    await writeRaster(join(dir, 'trainval-image/0000.jpg'), scan(W, H));
    await writeRaster(join(dir, 'trainval-mask/0000.jpg'), rectMask(8, 8, 24, 16));
    await writeRaster(join(dir, 'test-image/0000.jpg'), scan(W, H));
    await writeRaster(join(dir, 'test-mask/0000.jpg'), rectMask(0, 0, 8, 8));
    await writeRaster(join(dir, 'test-image/0001.jpg'), scan(W, H));
    await writeRaster(join(dir, 'test-mask/0001.jpg'), rectMask(0, 0, 8, 8, 255, W, H + 8));
    const { samples, warnings } = await convertAll(tn3k, join(root, 'tn3k'));
    assert.deepEqual(
      samples.map((s) => [s.index, s.officialSplit]),
      [
        ['trainval_0000', undefined],
        ['test_0000', 'test'],
      ],
    );
    // JPEG blurs the edge a little: nearly all of the rectangle and nothing far from it.
    const { inside, total } = countIn(maskOf(samples[0], 'thyroid_nodule'), W, 7, 7, 25, 17);
    assert.equal(inside, total);
    assert.ok(Math.abs(total - 16 * 8) <= 8, `mask area ${total}`);
    assert.deepEqual(
      warnings.map((w) => w.file),
      ['Thyroid Dataset/tn3k/test-mask/0001.jpg'],
    );
    assert.match((await strictError(tn3k, join(root, 'tn3k'))).message, /test-mask\/0001\.jpg: size mismatch/);
  });
});

describe('TNSCUI', () => {
  test('reads 0/1 VOC masks as nodules', async () => {
    const dir = join(root, 'tnscui');
    await writeRaster(join(dir, 'tnscui/JPEGImages/12.jpg'), scan(W, H));
    await writeRaster(join(dir, 'tnscui/SegmentationClass/12.png'), rectMask(4, 4, 12, 10, 1));
    await writeRaster(join(dir, 'tnscui/JPEGImages/13.jpg'), scan(W, H));
    const { samples, warnings } = await convertAll(tnscui, dir);
    assert.equal(samples.length, 1);
    assert.ok(isRectangle(maskOf(samples[0], 'thyroid_nodule'), W, 4, 4, 12, 10));
    assert.deepEqual(
      warnings.map((w) => [w.file, w.problem]),
      [['tnscui/JPEGImages/13.jpg', 'missing mask: tnscui/SegmentationClass/13.png not found']],
    );
    assert.match((await strictError(tnscui, dir)).message, /13\.jpg: missing mask/);
  });
});

describe('CCAUI', () => {
  test('takes the acquisition code as patient and skips frames with an empty mask', async () => {
    const dir = join(root, 'ccaui/Common Carotid Artery Ultrasound Images');
    await writeRaster(join(dir, 'US images/202201121748100022VAS_slice_1069.png'), scan(W, H, 3));
    await writeRaster(join(dir, 'Expert mask images/202201121748100022VAS_slice_1069.png'), rectMask(2, 10, 30, 16));
    await writeRaster(join(dir, 'US images/202201121748100022VAS_slice_1070.png'), scan(W, H, 3));
    await writeRaster(join(dir, 'Expert mask images/202201121748100022VAS_slice_1070.png'), blank(W, H));
    const { samples, warnings } = await convertAll(ccaui, join(root, 'ccaui'));
    assert.deepEqual(warnings, []);
    assert.equal(samples.length, 1);
    assert.deepEqual([samples[0].patient, samples[0].index], ['202201121748100022VAS', '1069']);
    assert.ok(isRectangle(maskOf(samples[0], 'carotid_artery'), W, 2, 10, 30, 16));
  });
});

describe('Ultrasound Nerve Segmentation', () => {
  test('keeps empty frames without annotations, one patient per subject', async () => {
    const dir = join(root, 'nerve');
    await writeRaster(join(dir, 'train/1_1.tif'), scan(W, H));
    await writeRaster(join(dir, 'train/1_1_mask.tif'), rectMask(10, 5, 20, 15));
    await writeRaster(join(dir, 'train/1_2.tif'), scan(W, H));
    await writeRaster(join(dir, 'train/1_2_mask.tif'), blank(W, H));
    await writeRaster(join(dir, 'train/2_1.tif'), scan(W, H));
    await writeText(join(dir, 'train/2_1_mask.tif'), 'truncated');
    await writeRaster(join(dir, 'test/1.tif'), scan(W, H));
    const { samples, warnings } = await convertAll(nerve, dir);
    assert.deepEqual(
      samples.map((s) => [s.patient, s.index, s.masks.length]),
      [
        ['1', '1', 1],
        ['1', '2', 0],
      ],
    );
    assert.ok(isRectangle(maskOf(samples[0], 'brachial_plexus'), W, 10, 5, 20, 15));
    assert.deepEqual(
      warnings.map((w) => w.file),
      ['train/2_1_mask.tif'],
    );
  });
});

describe('UBPD', () => {
  test('rasterises labelme polygons per structure and reports unknown labels', async () => {
    const dir = join(root, 'ubpd');
    const shapes = (list: { label: string; points: number[][] }[]) => JSON.stringify({ version: '4.5.6', shapes: list.map((s) => ({ ...s, shape_type: 'polygon' })), imageHeight: H, imageWidth: W });
    await writeRaster(join(dir, 'a/0001.jpg'), scan(W, H, 3));
    await writeText(
      join(dir, 'a/0001.json'),
      shapes([
        {
          label: 'dongmai',
          points: [
            [2, 2],
            [8, 2],
            [8, 6],
            [2, 6],
          ],
        },
        {
          label: 'shenjing',
          points: [
            [20, 10],
            [26, 10],
            [26, 20],
            [20, 20],
          ],
        },
      ]),
    );
    await writeRaster(join(dir, 'a/0002.jpg'), scan(W, H, 3));
    await writeText(
      join(dir, 'a/0002.json'),
      shapes([
        {
          label: 'xueguan',
          points: [
            [1, 1],
            [3, 1],
            [3, 3],
          ],
        },
      ]),
    );
    const { samples, warnings } = await convertAll(ubpd, dir);
    assert.equal(samples.length, 1);
    assert.equal(samples[0].index, 'a_0001');
    assert.deepEqual(
      samples[0].masks.map((m) => m.category),
      ['artery', 'nerve'],
    );
    // labelme/PIL convention: vertices on pixel centres, outline included → columns 2..8, rows 2..6.
    assert.ok(isRectangle(maskOf(samples[0], 'artery'), W, 2, 2, 9, 7));
    assert.ok(isRectangle(maskOf(samples[0], 'nerve'), W, 20, 10, 27, 21));
    assert.deepEqual(
      warnings.map((w) => w.file),
      ['a/0002.json'],
    );
    assert.match(warnings[0].problem, /unknown label 'xueguan'/);
    assert.match((await strictError(ubpd, dir)).message, /0002\.json: shape 0: unknown label/);
  });
});
