/**
 * Converters of the datasets added from fetched copies (CAMUS-processed,
 * Ultrasound_Nerve_Segmentation-processed, C-TRUS), each on a tiny synthetic raw folder in the
 * copy's own layout. Rectangles sit on JPEG's 8-pixel blocks, so JPEG keeps their edges exact.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { dataset as cTrus } from '../../../src/data/datasets/c_trus.js';
import { dataset as camusProcessed } from '../../../src/data/datasets/camus_processed.js';
import { dataset as nerveProcessed } from '../../../src/data/datasets/nerve_segmentation_processed.js';
import { flipColumns } from '../../../src/data/formats/frame_ops.js';
import { blank, convertAll, isRectangle, maskOf, paint, type Raster, scan, strictError, writeRaster, writeText } from './raw_fixtures.js';
import { tempDir } from '../../helpers/temp_dir.js';

let root: string;
let removeRoot: () => void;
before(async () => {
  ({ dir: root, cleanup: removeRoot } = tempDir('extra'));
});
after(async () => {
  removeRoot();
});

const mirror = (raster: Raster): Raster => ({ ...raster, data: flipColumns(raster.data, raster.width, raster.height, raster.channels) });

describe('CAMUS-processed', () => {
  const W = 32;
  const H = 24;
  const leftMask = () => paint(blank(W, H), 0, 8, 8, 16, [255]);

  test('keeps one file per frame: originals first, a lone mirrored copy flipped back; patient from the name', async () => {
    const dir = join(root, 'camus');
    const split = (name: string) => join(dir, 'dataset/Cardiac-Acquisitions', name);
    // patient0001 2CH ED: the original (train) and its mirrored copy (test), and the original again in test.
    await writeRaster(split('train/images/patient0001_2CH_ED.jpg'), scan(W, H, 3));
    await writeRaster(split('train/masks/patient0001_2CH_ED.jpg'), leftMask());
    await writeRaster(split('test/images/mirrored_patient0001_2CH_ED.jpg'), mirror(scan(W, H, 3)));
    await writeRaster(split('test/masks/mirrored_patient0001_2CH_ED.jpg'), mirror(leftMask()));
    await writeRaster(split('test/images/patient0001_2CH_ED.jpg'), scan(W, H, 3));
    await writeRaster(split('test/masks/patient0001_2CH_ED.jpg'), leftMask());
    // patient0002 4CH ES: only the mirrored copy.
    await writeRaster(split('test/images/mirrored_patient0002_4CH_ES.jpg'), mirror(scan(W, H, 3)));
    await writeRaster(split('test/masks/mirrored_patient0002_4CH_ES.jpg'), mirror(leftMask()));
    // A name outside the pattern, and a frame without its mask.
    await writeRaster(split('test/images/frame.jpg'), scan(W, H, 3));
    await writeRaster(split('test/images/patient0003_2CH_ES.jpg'), scan(W, H, 3));

    const { samples, warnings } = await convertAll(camusProcessed, dir);
    assert.deepEqual(
      samples.map((s) => [s.patient, s.index, s.sourceFile, s.labels]),
      [
        ['patient0001', '2CH_ED', 'dataset/Cardiac-Acquisitions/train/images/patient0001_2CH_ED.jpg', { view: '2CH', phase: 'ED', source_split: 'train' }],
        ['patient0002', '4CH_ES', 'dataset/Cardiac-Acquisitions/test/images/mirrored_patient0002_4CH_ES.jpg', { view: '4CH', phase: 'ES', source_split: 'test', mirrored_copy_flipped_back: 1 }],
      ],
    );
    // Flipped back: the mask is on the left again, and the image is the original scan (JPEG aside).
    for (const sample of samples) assert.ok(isRectangle(maskOf(sample, 'left_ventricle_and_atrium'), W, 0, 8, 8, 16), sample.sourceFile);
    const original = scan(W, H, 3).data;
    const restored = samples[1].image.data;
    let diff = 0;
    for (let i = 0; i < original.length; i++) diff += Math.abs(original[i] - restored[i]);
    assert.ok(diff / original.length < 3, `flipped-back image differs by ${(diff / original.length).toFixed(2)} on average`);
    assert.deepEqual(
      warnings.map((w) => [w.file, w.problem.replace(/:.*$/, '')]),
      [
        ['dataset/Cardiac-Acquisitions/test/images/frame.jpg', 'name is not [mirrored_]patientNNNN_{2CH,4CH}_{ED,ES}.jpg'],
        ['dataset/Cardiac-Acquisitions/test/images/patient0001_2CH_ED.jpg', 'frame patient0001_2CH_ED is also dataset/Cardiac-Acquisitions/train/images/patient0001_2CH_ED.jpg'],
        ['dataset/Cardiac-Acquisitions/test/images/patient0003_2CH_ES.jpg', 'missing mask'],
      ],
    );
    assert.match((await strictError(camusProcessed, dir)).message, /frame\.jpg: name is not/);
  });

  test('an unknown layout is an error naming the folders looked for', async () => {
    const dir = join(root, 'camus-empty');
    await writeText(join(dir, 'README.md'), 'nothing here');
    assert.match((await strictError(camusProcessed, dir)).message, /no \{train,valid,test\}\/images folder under .*camus-empty/);
  });
});

describe('Ultrasound_Nerve_Segmentation-processed', () => {
  const S = 32;
  /** A square frame: grey 128 padding in rows 0–7 and 24–31 around a 32×16 scan. */
  const padded = (): Raster => {
    const frame = blank(S, S, 3, [128]);
    const content = scan(S, 16, 3);
    frame.data.set(content.data, 8 * S * 3);
    return frame;
  };

  test('crops the padding, keeps the subject as patient, reports duplicates and masks in the padding', async () => {
    const dir = join(root, 'nerve');
    await writeRaster(join(dir, 'Nerve/train/images/1_1.jpg'), padded());
    await writeRaster(join(dir, 'Nerve/train/masks/1_1_mask.jpg'), paint(blank(S, S), 8, 8, 16, 16, [255]));
    await writeRaster(join(dir, 'Nerve/test/images/1_1.jpg'), padded());
    await writeRaster(join(dir, 'Nerve/test/masks/1_1_mask.jpg'), paint(blank(S, S), 8, 8, 16, 16, [255]));
    await writeRaster(join(dir, 'Nerve/test/images/2_5.jpg'), padded());
    await writeRaster(join(dir, 'Nerve/test/masks/2_5_mask.jpg'), paint(paint(blank(S, S), 16, 16, 24, 24, [255]), 0, 0, 8, 8, [255]));
    await writeRaster(join(dir, 'Nerve/test/images/scan.jpg'), padded());

    const { samples, warnings } = await convertAll(nerveProcessed, dir);
    assert.deepEqual(
      samples.map((s) => [s.patient, s.index, s.image.width, s.image.height, s.labels?.source_split]),
      [
        ['1', '1', 32, 16, 'train'],
        ['2', '5', 32, 16, 'test'],
      ],
    );
    assert.ok(isRectangle(maskOf(samples[0], 'brachial_plexus'), S, 8, 0, 16, 8));
    assert.ok(isRectangle(maskOf(samples[1], 'brachial_plexus'), S, 16, 8, 24, 16));
    // The crop is the scan itself (JPEG aside), not the padding.
    const content = scan(S, 16, 3).data;
    let diff = 0;
    for (let i = 0; i < content.length; i++) diff += Math.abs(content[i] - samples[0].image.data[i]);
    assert.ok(diff / content.length < 3, `cropped image differs from the scan by ${(diff / content.length).toFixed(2)} on average`);
    assert.deepEqual(
      warnings.map((w) => [w.file, w.problem]),
      [
        ['Nerve/test/images/1_1.jpg', 'frame 1_1 is also Nerve/train/images/1_1.jpg: duplicate left out'],
        ['Nerve/test/masks/2_5_mask.jpg', '64 mask pixels lie in the padding, outside the frame (cut off)'],
        ['Nerve/test/images/scan.jpg', 'name is not <subject>_<frame>.jpg'],
      ],
    );
    assert.match((await strictError(nerveProcessed, dir)).message, /Nerve\/test\/images\/1_1\.jpg: frame 1_1 is also/);
  });

  test('a frame that is all padding is reported', async () => {
    const dir = join(root, 'nerve-flat');
    await writeRaster(join(dir, 'train/images/3_1.jpg'), blank(S, S, 3, [128]));
    await writeRaster(join(dir, 'train/masks/3_1_mask.jpg'), blank(S, S));
    const { samples, warnings } = await convertAll(nerveProcessed, dir);
    assert.equal(samples.length, 0);
    assert.deepEqual(
      warnings.map((w) => w.problem),
      ['image is one flat grey: nothing but padding'],
    );
  });
});

describe('C-TRUS', () => {
  const W = 96;
  const H = 64;
  const csv = ['file,quality,quality_name,patient,testitem_in_fold', 'AAA.jpg,0,high,1,0', 'BBB.png,2,low,2,3', 'CCC.jpg,1,medium,1,1', 'EEE.jpg,0,high,3,2', 'FFF.jpg,0,high,x,2'].join('\n');

  test('patient and labels from the CSV, specks dropped, empty frames kept, unlisted frames reported', async () => {
    const dir = join(root, 'ctrus');
    await writeText(join(dir, 'c-trus.csv'), `${csv}\n`);
    await writeRaster(join(dir, 'original/AAA.jpg'), scan(W, H));
    await writeRaster(join(dir, 'labels/AAA.jpg'), paint(paint(blank(W, H), 8, 8, 88, 16, [255]), 8, 40, 88, 48, [255]));
    // PNG, so the 2×2 speck (under 0.1 % of the frame: 7 px) survives the file and is dropped by the converter.
    await writeRaster(join(dir, 'original/BBB.png'), scan(W, H));
    await writeRaster(join(dir, 'labels/BBB.png'), paint(paint(blank(W, H), 16, 16, 48, 32, [255]), 80, 50, 82, 52, [255]));
    await writeRaster(join(dir, 'original/CCC.jpg'), scan(W, H));
    await writeRaster(join(dir, 'labels/CCC.jpg'), blank(W, H));
    await writeRaster(join(dir, 'original/DDD.jpg'), scan(W, H));
    await writeRaster(join(dir, 'labels/DDD.jpg'), blank(W, H));

    const { samples, warnings } = await convertAll(cTrus, dir);
    assert.deepEqual(
      samples.map((s) => [s.patient, s.index, s.sourceFile, s.masks.length, s.labels]),
      [
        ['1', 'AAA', 'original/AAA.jpg', 1, { quality: 'high', fold: 0 }],
        ['2', 'BBB', 'original/BBB.png', 1, { quality: 'low', fold: 3 }],
        ['1', 'CCC', 'original/CCC.jpg', 0, { quality: 'medium', fold: 1 }],
      ],
    );
    // Both walls in one mask (the writer makes them two instances); the speck is gone.
    const walls = maskOf(samples[0], 'colon_wall');
    assert.equal(
      walls.reduce((n, v) => n + v, 0),
      2 * 80 * 8,
    );
    assert.ok(isRectangle(maskOf(samples[1], 'colon_wall'), W, 16, 16, 48, 32));
    assert.deepEqual(
      warnings.map((w) => [w.file, w.problem.replace(/, got .*$/, '')]),
      [
        ['c-trus.csv', 'line 6: needs a file, a numeric patient and an integer testitem_in_fold'],
        ['c-trus.csv', 'EEE.jpg is listed but original/EEE.jpg does not exist'],
        ['original/DDD.jpg', 'not listed in c-trus.csv: its patient is unknown, left out'],
      ],
    );
    assert.match((await strictError(cTrus, dir)).message, /c-trus\.csv: line 6/);
  });

  test('without the CSV there are no patients: an error naming it', async () => {
    const dir = join(root, 'ctrus-nocsv');
    await writeRaster(join(dir, 'original/AAA.jpg'), scan(W, H));
    await writeRaster(join(dir, 'labels/AAA.jpg'), blank(W, H));
    assert.match((await strictError(cTrus, dir)).message, /ctrus-nocsv\/c-trus\.csv not found \(it holds the patient of every frame\)/);
  });
});
