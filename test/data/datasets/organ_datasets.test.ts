/**
 * Converters of the abdominal, muscle, lung, ovarian, gastric and cardiac datasets (105US, AUL,
 * AbdomenUS, kidneyUS, GIST514-DB, MMOTU-2D, LUSS_phantom, STMUS_NDA, FALLMUD, EchoCP), each on a
 * tiny synthetic raw folder in its own layout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { dataset as us105 } from '../../../src/data/datasets/105us.js';
import { dataset as abdomenUs } from '../../../src/data/datasets/abdomenus.js';
import { dataset as aul } from '../../../src/data/datasets/aul.js';
import { dataset as echocp } from '../../../src/data/datasets/echocp.js';
import { dataset as fallmud } from '../../../src/data/datasets/fallmud.js';
import { dataset as gist } from '../../../src/data/datasets/gist514_db.js';
import { dataset as kidneyUs } from '../../../src/data/datasets/kidneyus.js';
import { dataset as luss } from '../../../src/data/datasets/luss_phantom.js';
import { dataset as mmotu } from '../../../src/data/datasets/mmotu_2d.js';
import { dataset as stmus } from '../../../src/data/datasets/stmus_nda.js';
import { blank, convertAll, isRectangle, maskOf, paint, scan, strictError, writeNifti, writeRaster, writeText } from './raw_fixtures.js';
import { tempDir } from '../../helpers/temp_dir.js';

const W = 24;
const H = 20;
const rectMask = (x0: number, y0: number, x1: number, y1: number, value = 255, w = W, h = H) => paint(blank(w, h), x0, y0, x1, y1, [value]);

let root: string;
let removeRoot: () => void;
before(async () => {
  ({ dir: root, cleanup: removeRoot } = tempDir('organs'));
});
after(async () => {
  removeRoot();
});

describe('105US', () => {
  test("pairs images and 'G man' masks on their number, skipping empty masks", async () => {
    const dir = join(root, '105us');
    await writeRaster(join(dir, 'Images/1.png'), scan(W, H, 3));
    await writeRaster(join(dir, 'Masks/1 G man.png'), rectMask(5, 5, 10, 12));
    await writeRaster(join(dir, 'Images/2.png'), scan(W, H, 3));
    await writeRaster(join(dir, 'Masks/2 G man.png'), blank(W, H));
    await writeRaster(join(dir, 'Images/3.png'), scan(W, H, 3));
    const { samples, warnings } = await convertAll(us105, dir);
    assert.deepEqual(
      samples.map((s) => s.index),
      ['1'],
    );
    assert.ok(isRectangle(maskOf(samples[0], 'tumor'), W, 5, 5, 10, 12));
    assert.deepEqual(
      warnings.map((w) => w.file),
      ['Images/3.png'],
    );
  });
});

describe('AUL', () => {
  test('fills liver and mass polygons, ignores the outline, labels the pathology', async () => {
    const dir = join(root, 'aul');
    await writeRaster(join(dir, 'Malignant/image/12.jpg'), scan(W, H, 3));
    await writeText(
      join(dir, 'Malignant/segmentation/liver/12.json'),
      JSON.stringify([
        [1, 1],
        [20, 1],
        [20, 15],
        [1, 15],
      ]),
    );
    await writeText(
      join(dir, 'Malignant/segmentation/mass/12.json'),
      JSON.stringify([
        [4, 4],
        [8, 4],
        [8, 8],
        [4, 8],
      ]),
    );
    await writeText(
      join(dir, 'Malignant/segmentation/outline/12.json'),
      JSON.stringify([
        [0, 0],
        [23, 0],
        [23, 19],
        [0, 19],
      ]),
    );
    await writeRaster(join(dir, 'Normal/image/3.jpg'), scan(W, H, 3));
    await writeText(
      join(dir, 'Normal/segmentation/liver/3.json'),
      JSON.stringify([
        [2, 2],
        [10, 2],
        [10, 10],
      ]),
    );
    // Image 229's liver was filed as its outline: read as the liver.
    await writeRaster(join(dir, 'Benign/image/229.jpg'), scan(W, H, 3));
    await writeText(
      join(dir, 'Benign/segmentation/outline/229.json'),
      JSON.stringify([
        [0, 0],
        [5, 0],
        [5, 5],
        [0, 5],
      ]),
    );
    await writeRaster(join(dir, 'Benign/image/5.jpg'), scan(W, H, 3));
    await writeText(join(dir, 'Benign/segmentation/liver/5.json'), '{"not": "points"}');
    const { samples, warnings } = await convertAll(aul, dir);
    assert.deepEqual(
      samples.map((s) => [s.index, s.labels?.class, s.masks.map((m) => m.category).join()]),
      [
        ['benign_229', 'benign', 'liver'],
        ['malignant_12', 'malignant', 'liver,mass'],
        ['normal_3', 'normal', 'liver'],
      ],
    );
    assert.ok(isRectangle(maskOf(samples[0], 'liver'), W, 0, 0, 6, 6));
    assert.ok(isRectangle(maskOf(samples[1], 'liver'), W, 1, 1, 21, 16));
    assert.ok(isRectangle(maskOf(samples[1], 'mass'), W, 4, 4, 9, 9));
    assert.deepEqual(
      warnings.map((w) => w.file),
      ['Benign/segmentation/liver/5.json'],
    );
    assert.match((await strictError(aul, dir)).message, /liver\/5\.json: unreadable polygon annotation/);
  });
});

describe('AbdomenUS', () => {
  test('splits colour-coded organ masks of the real images and skips the synthetic ones', async () => {
    const dir = join(root, 'abdomen/abdominal_US');
    const colours = blank(W, H, 3);
    paint(colours, 0, 0, 10, 10, [100, 0, 100]); // liver
    paint(colours, 12, 2, 20, 8, [255, 255, 0]); // kidney
    paint(colours, 12, 12, 16, 16, [255, 0, 255]); // spleen
    await writeRaster(join(dir, 'RUS/images/test/im1.png'), scan(W, H, 3));
    await writeRaster(join(dir, 'RUS/annotations/test/im1.png'), colours);
    await writeRaster(join(dir, 'AUS/images/train/im1.png'), scan(W, H, 3));
    await writeRaster(join(dir, 'AUS/annotations/train/im1.png'), colours);
    await writeRaster(join(dir, 'RUS/images/train/im9.png'), scan(W, H, 3)); // unannotated real image
    const { samples, warnings } = await convertAll(abdomenUs, join(root, 'abdomen'));
    assert.deepEqual(warnings, []);
    assert.equal(samples.length, 1);
    assert.equal(samples[0].sourceFile, 'abdominal_US/RUS/images/test/im1.png');
    assert.deepEqual(
      samples[0].masks.map((m) => m.category),
      ['liver', 'kidney', 'spleen'],
    );
    assert.ok(isRectangle(maskOf(samples[0], 'kidney'), W, 12, 2, 20, 8));
    assert.ok(isRectangle(maskOf(samples[0], 'spleen'), W, 12, 12, 16, 16));
  });
});

describe('kidneyUS', () => {
  test('reads 0/1 capsule masks, the patient number and the view label', async () => {
    const dir = join(root, 'kidney');
    await writeText(
      join(dir, 'labels/reviewed_labels_1.csv'),
      'filename,file_size,file_attributes,region_count,region_id,region_shape_attributes,region_attributes\n' +
        '12_IM-0464-17664_anon.png,1,"{""Quality"":""Good"",""View"":""Longitudinal"",""Comments"":""""}",1,0,"{}","{}"\n',
    );
    await writeRaster(join(dir, 'images/12_IM-0464-17664_anon.png'), scan(W, H, 3));
    await writeRaster(join(dir, 'labels/reviewed_masks_1/capsule/12_IM-0464-17664_anon.png'), rectMask(3, 3, 15, 12, 1));
    await writeRaster(join(dir, 'images/13_IM-0001-0002_anon.png'), scan(W, H, 3));
    const { samples, warnings } = await convertAll(kidneyUs, dir);
    assert.equal(samples.length, 1);
    assert.deepEqual([samples[0].patient, samples[0].index], ['12', 'IM-0464-17664_anon']);
    assert.deepEqual(samples[0].labels, { view: 'longitudinal', quality: 'good' });
    assert.ok(isRectangle(maskOf(samples[0], 'kidney'), W, 3, 3, 15, 12));
    assert.deepEqual(
      warnings.map((w) => w.file),
      ['images/13_IM-0001-0002_anon.png'],
    );
  });
});

describe('GIST514-DB', () => {
  test('rasterises COCO polygons; the val file is the official test', async () => {
    const dir = join(root, 'gist/usd514_jpeg_roi');
    const coco = (images: string[], annotations: object[]) =>
      JSON.stringify({
        images: images.map((file_name, k) => ({ id: k + 1, file_name, width: W, height: H })),
        annotations,
        categories: [
          { id: 1, name: 'lmym' },
          { id: 2, name: 'gist' },
        ],
      });
    await writeRaster(join(dir, 'images/a.jpg'), scan(W, H, 3));
    await writeRaster(join(dir, 'images/b.jpg'), scan(W, H, 3));
    await writeText(join(dir, 'annotations/train_anno_crop_split_0.json'), coco(['a.jpg', 'gone.jpg'], [{ id: 1, image_id: 1, category_id: 2, segmentation: [[2, 3, 10, 3, 10, 9, 2, 9]] }]));
    await writeText(join(dir, 'annotations/val_anno_crop_split_0.json'), coco(['b.jpg'], [{ id: 1, image_id: 1, category_id: 1, segmentation: [[0, 0, 4, 0, 4, 4, 0, 4]] }]));
    const { samples, warnings } = await convertAll(gist, join(root, 'gist'));
    assert.deepEqual(
      samples.map((s) => [s.index, s.officialSplit, s.masks[0].category]),
      [
        ['a', undefined, 'gist'],
        ['b', 'test', 'lmym'],
      ],
    );
    // COCO grid: the polygon [2,10]×[3,9] covers columns 2..9 and rows 3..8.
    assert.ok(isRectangle(maskOf(samples[0], 'gist'), W, 2, 3, 10, 9));
    assert.deepEqual(
      warnings.map((w) => w.file),
      ['usd514_jpeg_roi/annotations/train_anno_crop_split_0.json'],
    );
    assert.match(warnings[0].problem, /gone\.jpg/);
    assert.match((await strictError(gist, join(root, 'gist'))).message, /train_anno_crop_split_0\.json: image gone\.jpg/);
  });
});

describe('MMOTU-2D', () => {
  test('takes the category from the class list and keeps val as the official test', async () => {
    const dir = join(root, 'mmotu/OTU_2d');
    await writeText(join(dir, 'train_cls.txt'), '1.JPG  0\n2.JPG  7\n');
    await writeText(join(dir, 'val_cls.txt'), '3.JPG  4\n4.JPG  9\n');
    for (const n of [1, 2, 3]) await writeRaster(join(dir, `images/${n}.JPG`), scan(W, H, 3));
    await writeRaster(join(dir, 'annotations/1.PNG'), paint(blank(W, H, 3), 2, 2, 6, 6, [64, 0, 0]));
    await writeRaster(join(dir, 'annotations/2.PNG'), paint(blank(W, H, 3), 10, 10, 14, 14, [0, 0, 128]));
    await writeRaster(join(dir, 'annotations/3.PNG'), paint(blank(W, H, 3), 1, 1, 3, 3, [64, 64, 0]));
    const { samples, warnings } = await convertAll(mmotu, join(root, 'mmotu'));
    assert.deepEqual(
      samples.map((s) => [s.index, s.officialSplit, s.masks[0].category]),
      [
        ['1', undefined, 'chocolate_cyst'],
        ['2', undefined, 'high_grade_serous'],
        ['3', 'test', 'simple_cyst'],
      ],
    );
    assert.ok(isRectangle(maskOf(samples[1], 'high_grade_serous'), W, 10, 10, 14, 14));
    assert.deepEqual(
      warnings.map((w) => w.file),
      ['OTU_2d/val_cls.txt'],
    );
    assert.match(warnings[0].problem, /class '9'/);
    assert.match((await strictError(mmotu, join(root, 'mmotu'))).message, /val_cls\.txt: line 2/);
    assert.equal(mmotu.info.evaluationOnly, true);
  });
});

describe('LUSS_phantom', () => {
  test('splits label values 1..5 into rib, pleural line, A-line, B-line and confluence', async () => {
    const dir = join(root, 'luss');
    const labels = blank(W, H);
    paint(labels, 0, 0, 24, 2, [1]);
    paint(labels, 0, 4, 24, 5, [2]);
    paint(labels, 0, 8, 24, 9, [3]);
    paint(labels, 5, 10, 7, 20, [4]);
    paint(labels, 12, 10, 18, 20, [5]);
    await writeRaster(join(dir, 'images/frame_001.png'), scan(W, H));
    await writeRaster(join(dir, 'masks/frame_001.png'), labels);
    const { samples, warnings } = await convertAll(luss, dir);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      samples[0].masks.map((m) => m.category),
      luss.info.structures,
    );
    assert.ok(isRectangle(maskOf(samples[0], 'pleural_line'), W, 0, 4, 24, 5));
    assert.ok(isRectangle(maskOf(samples[0], 'B_line_confluence'), W, 12, 10, 18, 20));
  });
});

describe('STMUS_NDA', () => {
  test('reads each muscle and condition folder, labels both', async () => {
    const dir = join(root, 'stmus/Polito-Radboud-DeepLearningUS');
    await writeRaster(join(dir, 'GM/Healthy/Images/GM_01.png'), scan(W, H));
    await writeRaster(join(dir, 'GM/Healthy/Masks/GM_01.png'), rectMask(2, 2, 20, 12));
    await writeRaster(join(dir, 'TA/Pathological/Images/TA_07.png'), scan(W, H));
    await writeRaster(join(dir, 'TA/Pathological/Masks/TA_07.png'), rectMask(4, 6, 12, 18));
    const { samples, warnings } = await convertAll(stmus, join(root, 'stmus'));
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      samples.map((s) => [s.index, s.labels]),
      [
        ['GM_healthy_GM_01', { muscle: 'GM', condition: 'healthy' }],
        ['TA_pathological_TA_07', { muscle: 'TA', condition: 'pathological' }],
      ],
    );
    assert.ok(isRectangle(maskOf(samples[1], 'transverse_musculoskeletal'), W, 4, 6, 12, 18));
  });
});

describe('FALLMUD', () => {
  test('keeps aponeurosis and fascicle, turns a transposed aponeurosis mask, reports a missing one', async () => {
    const dir = join(root, 'fallmud/FALLMUD/NeilCronin');
    await writeRaster(join(dir, 'images/im_1.jpg'), scan(W, H));
    // Stored transposed (H×W): its top rows become the right columns after a clockwise turn.
    await writeRaster(join(dir, 'aponeurosis_masks/im_1.png'), rectMask(0, 0, H, 3, 255, H, W));
    await writeRaster(join(dir, 'fascicle_masks/im_1.png'), rectMask(5, 5, 15, 7));
    await writeRaster(join(dir, 'images/im_2.jpg'), scan(W, H));
    await writeRaster(join(dir, 'fascicle_masks/im_2.png'), rectMask(5, 5, 15, 7));
    const { samples, warnings } = await convertAll(fallmud, join(root, 'fallmud'));
    assert.equal(samples.length, 1);
    assert.deepEqual(samples[0].labels, { centre: 'NeilCronin' });
    assert.ok(isRectangle(maskOf(samples[0], 'aponeurosis'), W, W - 3, 0, W, H));
    assert.ok(isRectangle(maskOf(samples[0], 'fascicle'), W, 5, 5, 15, 7));
    assert.deepEqual(
      warnings.map((w) => w.file),
      ['FALLMUD/NeilCronin/images/im_2.jpg'],
    );
    assert.match(warnings[0].problem, /missing aponeurosis mask/);
  });
});

describe('EchoCP', () => {
  test('streams NIfTI frames, keeps labelled ones transposed, reports a case without labels', async () => {
    const dir = join(root, 'echocp');
    const [w, h, frames] = [6, 4, 3];
    const image = new Uint8Array(w * h * frames).map((_, i) => i % 251);
    const labels = new Uint8Array(w * h * frames);
    // Frame 1 only: label pixel (x=5, y=0) and (x=4, y=0).
    labels[w * h + 5] = 2;
    labels[w * h + 4] = 1;
    await writeNifti(join(dir, 'p01_image.nii.gz'), w, h, frames, image);
    await writeNifti(join(dir, 'p01_label.nii.gz'), w, h, frames, labels);
    await writeNifti(join(dir, 'p02_image.nii.gz'), w, h, frames, image);
    const { samples, warnings } = await convertAll(echocp, dir);
    assert.equal(samples.length, 1);
    const [sample] = samples;
    assert.deepEqual([sample.patient, sample.index], ['p01', 1]);
    assert.deepEqual([sample.image.width, sample.image.height], [h, w]);
    // Transposed: (x, y) → (y, x); the labelled pixels (4,0) and (5,0) land at rows 4 and 5 of column 0.
    const mask = maskOf(sample, 'chamber');
    assert.deepEqual(
      [...mask.keys()].filter((i) => mask[i]),
      [4 * h, 5 * h],
    );
    assert.equal(sample.image.data[4 * h], image[w * h + 4]);
    assert.deepEqual(sample.image.pixelSpacingMm, [0.25, 0.5]);
    assert.deepEqual(
      warnings.map((w) => w.file),
      ['p02_image.nii.gz'],
    );
    assert.match((await strictError(echocp, dir)).message, /p02_image\.nii\.gz: missing mask/);
  });
});
