/**
 * Converters of the breast datasets (BUID, BUS-BRA, BUS Dataset B, BUS_UC, BUS-UCLM, BrEaST,
 * S1, STU-Hospital), each on a tiny synthetic raw folder in its publisher's layout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { dataset as buid } from '../../../src/data/datasets/buid.js';
import { dataset as busBra } from '../../../src/data/datasets/bus_bra.js';
import { dataset as busB } from '../../../src/data/datasets/bus_b.js';
import { dataset as busUc } from '../../../src/data/datasets/bus_uc.js';
import { dataset as busUclm } from '../../../src/data/datasets/bus_uclm.js';
import { dataset as breast } from '../../../src/data/datasets/breast.js';
import { dataset as s1 } from '../../../src/data/datasets/s1.js';
import { dataset as stuHospital } from '../../../src/data/datasets/stu_hospital.js';
import { blank, convertAll, countIn, isRectangle, maskOf, paint, scan, strictError, writeRaster, writeText } from './raw_fixtures.js';
import { tempDir } from '../../helpers/temp_dir.js';

const W = 24;
const H = 16;
/** A 0/255 grey mask with the rectangle [x0, x1) × [y0, y1) set. */
const rectMask = (x0: number, y0: number, x1: number, y1: number, value = 255, w = W, h = H) => paint(blank(w, h), x0, y0, x1, y1, [value]);

let root: string;
let removeRoot: () => void;
before(async () => {
  ({ dir: root, cleanup: removeRoot } = tempDir('breast'));
});
after(async () => {
  removeRoot();
});

describe('BUID', () => {
  test('pairs BMP images with TIFF masks per class, reports a missing mask or throws in strict mode', async () => {
    const dir = join(root, 'buid');
    await writeRaster(join(dir, 'Benign/1 Image.bmp'), scan(W, H, 3));
    await writeRaster(join(dir, 'Benign/1 Mask.tif'), rectMask(2, 3, 8, 9));
    await writeRaster(join(dir, 'Malignant/7 Image.bmp'), scan(W, H, 3));
    await writeRaster(join(dir, 'Malignant/7 Mask.tif'), rectMask(10, 4, 20, 12));
    await writeRaster(join(dir, 'Malignant/8 Image.bmp'), scan(W, H, 3)); // no mask
    const { samples, warnings } = await convertAll(buid, dir);
    assert.equal(samples.length, 2);
    assert.deepEqual(
      samples.map((s) => [s.index, s.labels?.class]),
      [
        ['benign_1', 'benign'],
        ['malignant_7', 'malignant'],
      ],
    );
    assert.equal(samples[0].image.width, W);
    assert.ok(isRectangle(maskOf(samples[0], 'breast_nodule'), W, 2, 3, 8, 9));
    assert.ok(isRectangle(maskOf(samples[1], 'breast_nodule'), W, 10, 4, 20, 12));
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0].file, 'Malignant/8 Image.bmp');
    assert.match(warnings[0].problem, /missing mask/);
    assert.match((await strictError(buid, dir)).message, /Malignant\/8 Image\.bmp: missing mask/);
  });

  test('reads sub-folders, trims the number, keeps an empty mask, ignores other BMPs', async () => {
    const dir = join(root, 'buid-more');
    await writeRaster(join(dir, 'Benign/sub/2 Image.bmp'), scan(W, H, 3));
    await writeRaster(join(dir, 'Benign/sub/2 Mask.tif'), rectMask(1, 1, 4, 4));
    await writeRaster(join(dir, 'Benign/ 3 image.BMP'), scan(W, H, 3));
    await writeRaster(join(dir, 'Benign/ 3 Mask.tif'), blank(W, H));
    await writeRaster(join(dir, 'Benign/other.bmp'), scan(W, H, 3));
    const { samples, warnings } = await convertAll(buid, dir);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      samples.map((s) => [s.sourceFile, s.index, s.masks.length]),
      [
        ['Benign/ 3 image.BMP', 'benign_3', 0],
        ['Benign/sub/2 Image.bmp', 'benign_sub/2', 1],
      ],
    );
    assert.ok(isRectangle(maskOf(samples[1], 'breast_nodule'), W, 1, 1, 4, 4));
    await assert.rejects(convertAll(buid, join(dir, 'sub')), /no image folder found \(looked for 'Benign', 'Malignant'\)/);
  });
});

describe('BUS-BRA', () => {
  test('reads pathology, folds and cases from the CSVs; fold 1 is the official test', async () => {
    const dir = join(root, 'busbra/BUSBRA');
    await writeText(join(dir, '5-fold-cv.csv'), 'ID,Pathology,kFold\nbus_0001-l,benign,1\nbus_0002-r,malignant,3\nbus_0003-l,benign,2\n');
    await writeText(join(dir, 'bus_data.csv'), 'ID,Case,Histology,Pathology,BIRADS\nbus_0001-l,1,Fibroadenoma,benign,3\nbus_0002-r,2,"Carcinoma, ductal",malignant,5\n');
    await writeRaster(join(dir, 'Images/bus_0001-l.png'), scan(W, H));
    await writeRaster(join(dir, 'Masks/mask_0001-l.png'), rectMask(1, 1, 5, 5));
    await writeRaster(join(dir, 'Images/bus_0002-r.png'), scan(W, H));
    await writeRaster(join(dir, 'Masks/mask_0002-r.png'), rectMask(6, 2, 12, 10));
    await writeRaster(join(dir, 'Images/bus_0003-l.png'), scan(W, H));
    await writeRaster(join(dir, 'Masks/mask_0003-l.png'), rectMask(0, 0, 4, 4, 255, W + 2, H)); // wrong size
    const { samples, warnings } = await convertAll(busBra, join(root, 'busbra'));
    assert.equal(samples.length, 2);
    const [first, second] = samples;
    assert.equal(first.officialSplit, 'test');
    assert.equal(second.officialSplit, undefined);
    assert.deepEqual([first.patient, second.patient], ['1', '2']);
    assert.deepEqual(first.labels, { class: 'benign', fold: 1, birads: '3' });
    assert.deepEqual(
      second.masks.map((m) => m.category),
      ['breast_nodule_malignant'],
    );
    assert.ok(isRectangle(maskOf(first, 'breast_nodule_benign'), W, 1, 1, 5, 5));
    assert.deepEqual(
      warnings.map((w) => w.file),
      ['BUSBRA/Masks/mask_0003-l.png'],
    );
    assert.match(warnings[0].problem, /size mismatch: mask is 26×16 but image BUSBRA\/Images\/bus_0003-l\.png is 24×16/);
    assert.match((await strictError(busBra, join(root, 'busbra'))).message, /size mismatch/);
    assert.equal(busBra.info.evaluationOnly, true);
  });
});

describe('BUS (Dataset B)', () => {
  test('pairs original/ with GT/ and takes the lesion type from DatasetB.csv', async () => {
    const dir = join(root, 'busb');
    await writeText(join(dir, 'BUS/DatasetB.csv'), 'Image,Type\n000001,Benign\n000002,Malignant\n');
    await writeRaster(join(dir, 'BUS/original/000001.png'), scan(W, H));
    await writeRaster(join(dir, 'BUS/GT/000001.png'), rectMask(3, 3, 9, 9));
    await writeRaster(join(dir, 'BUS/original/000002.png'), scan(W, H));
    await writeRaster(join(dir, 'BUS/GT/000002.png'), rectMask(12, 5, 22, 15));
    const { samples, warnings } = await convertAll(busB, dir);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      samples.map((s) => [s.index, s.labels?.class]),
      [
        ['000001', 'benign'],
        ['000002', 'malignant'],
      ],
    );
    assert.ok(isRectangle(maskOf(samples[1], 'breast_nodule'), W, 12, 5, 22, 15));
  });

  test('keeps an image with an empty mask, without a lesion type when DatasetB.csv has none', async () => {
    const dir = join(root, 'busb-more');
    await writeText(join(dir, 'DatasetB.csv'), 'Image,Type\n1,Benign\n2.png,malignant\n10, CANCER\n');
    await writeRaster(join(dir, 'original/1.png'), scan(W, H));
    await writeRaster(join(dir, 'GT/1.png'), rectMask(2, 2, 9, 9));
    await writeRaster(join(dir, 'original/2.png'), scan(W, H));
    await writeRaster(join(dir, 'GT/2.png'), blank(W, H));
    await writeRaster(join(dir, 'original/10.png'), scan(W, H));
    await writeRaster(join(dir, 'GT/10.png'), rectMask(3, 3, 6, 6, 200));
    const { samples, warnings } = await convertAll(busB, dir);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      samples.map((s) => [s.sourceFile, s.index, s.masks.length, s.labels]),
      [
        ['original/1.png', '1', 1, { class: 'benign' }],
        ['original/2.png', '2', 0, { class: 'malignant' }],
        ['original/10.png', '10', 1, undefined],
      ],
    );
  });
});

describe('BUS_UC', () => {
  test('resizes a smaller mask to its image by nearest neighbour and labels the class', async () => {
    const dir = join(root, 'busuc');
    await writeRaster(join(dir, 'Benign/images/01.png'), scan(W, H, 3));
    // Half-size mask: [2,6)×[2,6) at 12×8 becomes [4,12)×[4,12) at 24×16.
    await writeRaster(join(dir, 'Benign/masks/01.png'), rectMask(2, 2, 6, 6, 255, W / 2, H / 2));
    await writeRaster(join(dir, 'Malignant/images/01.png'), scan(W, H, 3));
    await writeRaster(join(dir, 'Malignant/masks/01.png'), rectMask(0, 0, 10, 10));
    await writeRaster(join(dir, 'All/images/01.png'), scan(W, H, 3)); // duplicate folder, ignored
    const { samples, warnings } = await convertAll(busUc, dir);
    assert.deepEqual(warnings, []);
    assert.equal(samples.length, 2);
    assert.deepEqual(
      samples.map((s) => [s.index, s.masks[0].category]),
      [
        ['benign_01', 'breast_benign'],
        ['malignant_01', 'breast_malignant'],
      ],
    );
    assert.ok(isRectangle(samples[0].masks[0].mask, W, 4, 4, 12, 12));
  });

  test('skips an empty mask, takes each class folder from where it is, reports a missing mask', async () => {
    const dir = join(root, 'busuc-more');
    await writeRaster(join(dir, 'Benign/images/1.png'), scan(W, H));
    await writeRaster(join(dir, 'Benign/masks/1.png'), blank(W, H)); // empty: skipped
    await writeRaster(join(dir, 'Benign/images/2.png'), scan(W, H)); // no mask
    await writeRaster(join(dir, 'BUS_UC/Malignant/images/1.png'), scan(W, H));
    await writeRaster(join(dir, 'BUS_UC/Malignant/masks/1.png'), rectMask(5, 5, 15, 12));
    const { samples, warnings } = await convertAll(busUc, dir);
    assert.deepEqual(
      samples.map((s) => [s.sourceFile, s.index, s.labels]),
      [['BUS_UC/Malignant/images/1.png', 'malignant_1', { class: 'malignant' }]],
    );
    assert.ok(isRectangle(maskOf(samples[0], 'breast_malignant'), W, 5, 5, 15, 12));
    assert.deepEqual(
      warnings.map((w) => [w.file, w.problem]),
      [['Benign/images/2.png', 'missing mask: Benign/masks/2.png not found']],
    );
  });
});

describe('BUS-UCLM', () => {
  test('splits green (benign) and red (malignant) mask colours, skips normal images, reports a missing mask', async () => {
    const dir = join(root, 'busuclm');
    const colour = blank(W, H, 3);
    paint(colour, 1, 1, 6, 6, [0, 255, 0]);
    paint(colour, 10, 2, 20, 12, [255, 0, 0]);
    await writeRaster(join(dir, 'images/ALWI_000.png'), scan(W, H, 3));
    await writeRaster(join(dir, 'masks/ALWI_000.png'), colour);
    await writeRaster(join(dir, 'images/ANFO_005.png'), scan(W, H, 3));
    await writeRaster(join(dir, 'masks/ANFO_005.png'), blank(W, H, 3)); // normal
    await writeRaster(join(dir, 'images/BEMA_001.png'), scan(W, H, 3)); // no mask
    const { samples, warnings } = await convertAll(busUclm, dir);
    assert.equal(samples.length, 1);
    const [sample] = samples;
    assert.equal(sample.patient, 'ALWI');
    assert.equal(sample.labels?.class, 'benign+malignant');
    assert.ok(isRectangle(maskOf(sample, 'benign_breast_lesion'), W, 1, 1, 6, 6));
    assert.ok(isRectangle(maskOf(sample, 'malignant_breast_lesion'), W, 10, 2, 20, 12));
    assert.deepEqual(
      warnings.map((w) => w.file),
      ['images/BEMA_001.png'],
    );
    assert.match((await strictError(busUclm, dir)).message, /BEMA_001\.png: missing mask/);
  });

  test('accepts an enclosing BUS-UCLM/ folder; a name without a letter code gives no patient', async () => {
    const dir = join(root, 'busuclm-more');
    await writeRaster(join(dir, 'BUS-UCLM/images/004.png'), scan(W, H, 3));
    await writeRaster(join(dir, 'BUS-UCLM/masks/004.png'), paint(blank(W, H, 3), 1, 1, 3, 3, [255, 0, 0]));
    const { samples, warnings } = await convertAll(busUclm, dir);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      samples.map((s) => [s.sourceFile, s.patient, s.index, s.labels]),
      [['BUS-UCLM/images/004.png', undefined, '004', { class: 'malignant' }]],
    );
  });
});

describe('BrEaST', () => {
  test('merges tumour masks and other-abnormality masks per case and reads the clinical classification', async () => {
    const dir = join(root, 'breast');
    const folder = join(dir, 'BrEaST-Lesions_USG-images_and_masks');
    await writeText(join(dir, 'BrEaST-Lesions-USG-clinical-data-Dec-15-2023.csv'), 'CaseID,Image_filename,Classification,BIRADS\n1,case001.png,malignant,5\n');
    await writeRaster(join(folder, 'case001.png'), scan(W, H, 3));
    await writeRaster(join(folder, 'case001_tumor.png'), rectMask(2, 2, 8, 8));
    await writeRaster(join(folder, 'case001_other1.png'), rectMask(12, 2, 16, 6));
    await writeRaster(join(folder, 'case001_other2.png'), rectMask(18, 8, 22, 12));
    await writeRaster(join(folder, 'case002.png'), scan(W, H, 3)); // no masks: not converted, like the reference
    const { samples, warnings } = await convertAll(breast, dir);
    assert.deepEqual(warnings, []);
    assert.equal(samples.length, 1);
    const [sample] = samples;
    assert.equal(sample.patient, 'case001');
    assert.deepEqual(sample.labels, { class: 'malignant', birads: '5' });
    assert.ok(isRectangle(maskOf(sample, 'breast_nodule'), W, 2, 2, 8, 8));
    const other = maskOf(sample, 'other_abnormality');
    assert.deepEqual(countIn(other, W, 12, 2, 16, 6), { inside: 16, total: 32 });
  });
});

describe('S1', () => {
  test('reads 127 as benign and 255 as malignant; the testing folder is the official test', async () => {
    const dir = join(root, 's1/Data');
    const label = blank(W, H);
    paint(label, 1, 1, 5, 5, [127]);
    await writeRaster(join(dir, 'TrainingDataSet/BreastTumourImages/0.jpg'), scan(W, H, 3));
    await writeRaster(join(dir, 'TrainingDataSet/Expanded-3-channel-Labels/0.png'), label);
    await writeRaster(join(dir, 'TestingDataSet/Test-Expanded-BreastTumourImages/0.jpg'), scan(W, H, 3));
    await writeRaster(join(dir, 'TestingDataSet/Test-Expanded-3-channel-Labels/0.png'), paint(blank(W, H, 3), 8, 4, 16, 12, [255]));
    const { samples, warnings } = await convertAll(s1, join(root, 's1'));
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      samples.map((s) => [s.index, s.officialSplit, s.labels?.class]),
      [
        ['train_0', undefined, 'benign'],
        ['test_0', 'test', 'malignant'],
      ],
    );
    assert.ok(isRectangle(maskOf(samples[0], 'benign_tumour'), W, 1, 1, 5, 5));
    assert.ok(isRectangle(maskOf(samples[1], 'malignant_tumour'), W, 8, 4, 16, 12));
  });

  test('keeps an image with an empty label mask without a class; reports a missing and a wrongly sized mask', async () => {
    const dir = join(root, 's1-more');
    await writeRaster(join(dir, 'TrainingDataSet/BreastTumourImages/a.jpg'), scan(W, H));
    await writeRaster(join(dir, 'TrainingDataSet/Expanded-3-channel-Labels/a.png'), paint(rectMask(1, 1, 5, 5, 127), 10, 10, 14, 14, [255]));
    await writeRaster(join(dir, 'TrainingDataSet/BreastTumourImages/c.jpg'), scan(W, H));
    await writeRaster(join(dir, 'TrainingDataSet/Expanded-3-channel-Labels/c.png'), blank(W, H));
    await writeRaster(join(dir, 'TrainingDataSet/BreastTumourImages/d.jpg'), scan(W, H));
    await writeRaster(join(dir, 'TrainingDataSet/BreastTumourImages/e.jpg'), scan(W, H));
    await writeRaster(join(dir, 'TrainingDataSet/Expanded-3-channel-Labels/e.png'), blank(W, H + 1));
    const { samples, warnings } = await convertAll(s1, dir);
    assert.deepEqual(
      samples.map((s) => [s.index, s.masks.map((m) => m.category), s.labels]),
      [
        ['train_a', ['benign_tumour', 'malignant_tumour'], { class: 'benign+malignant' }],
        ['train_c', [], undefined],
      ],
    );
    assert.deepEqual(
      warnings.map((w) => w.file),
      ['TrainingDataSet/BreastTumourImages/d.jpg', 'TrainingDataSet/Expanded-3-channel-Labels/e.png'],
    );
  });
});

describe('STU-Hospital', () => {
  test('pairs Test_Image_<n> with mask_<n>, resizing the mask to the image by area', async () => {
    const dir = join(root, 'stu');
    await writeRaster(join(dir, 'Hospital/Test_Image_3.png'), scan(W, H, 3));
    await writeRaster(join(dir, 'Hospital/mask_3.png'), rectMask(0, 0, 6, 4, 255, W * 2, H * 2));
    await writeRaster(join(dir, 'Hospital/Test_Image_4.png'), scan(W, H, 3));
    await writeText(join(dir, 'Hospital/mask_4.png'), 'not a PNG'); // unreadable
    const { samples, warnings } = await convertAll(stuHospital, dir);
    assert.equal(samples.length, 1);
    assert.equal(samples[0].index, '3');
    assert.ok(isRectangle(maskOf(samples[0], 'breast_tumour'), W, 0, 0, 3, 2));
    assert.deepEqual(
      warnings.map((w) => w.file),
      ['Hospital/mask_4.png'],
    );
    // A mask at 4× is resized by area: a 4×4 block three-quarters covered (its top-left pixel not)
    // is tumour, where nearest neighbour would read that one pixel and drop the block.
    await writeRaster(join(dir, 'Hospital/Test_Image_5.png'), scan(W, H, 3));
    await writeRaster(join(dir, 'Hospital/mask_5.png'), rectMask(1, 0, 8, 8, 255, W * 4, H * 4));
    const resized = (await convertAll(stuHospital, dir)).samples.find((s) => s.index === '5')!;
    assert.ok(isRectangle(maskOf(resized, 'breast_tumour'), W, 0, 0, 2, 2));
    assert.match(warnings[0].problem, /unreadable mask/);
    assert.match((await strictError(stuHospital, dir)).message, /mask_4\.png: unreadable mask/);
  });

  test('ignores files not named Test_Image_<n>, in the raw folder itself too; stops when there is none', async () => {
    const dir = join(root, 'stu-more');
    await writeRaster(join(dir, 'test_image_10.PNG'), scan(16, 16));
    await writeRaster(join(dir, 'mask_10.png'), rectMask(0, 0, 1, 1, 255, 64, 64)); // lost by the area resize
    await writeRaster(join(dir, 'other.png'), scan(16, 16));
    const { samples, warnings } = await convertAll(stuHospital, dir);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      samples.map((s) => [s.sourceFile, s.index, s.masks.length]),
      [['test_image_10.PNG', '10', 0]],
    );
    await writeRaster(join(dir, 'Hospital/other.png'), scan(16, 16));
    await assert.rejects(convertAll(stuHospital, dir), /no images Test_Image_<index>\.png found in 'Hospital'/);
  });
});
