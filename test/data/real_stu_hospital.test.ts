import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readRaster } from '../../src/data/raster.js';
import { resizeMaskNearest, thresholdMask } from '../../src/data/masks.js';
import { decodeRle, type Rle } from '../../src/data/rle.js';
import { convertEnvDataset } from './helpers.js';

/** Area (scaled to image pixels) and centroid (pixel centres, in image pixels) of a mask drawn at `scale` × the image. */
function areaAndCentroid(mask: Uint8Array, width: number, scale: number): { area: number; x: number; y: number } {
  let count = 0;
  let sx = 0;
  let sy = 0;
  mask.forEach((v, i) => {
    if (!v) return;
    count++;
    sx += (i % width) + 0.5;
    sy += Math.floor(i / width) + 0.5;
  });
  return { area: count * scale * scale, x: (sx / count) * scale, y: (sy / count) * scale };
}

/** ULTRASAM_RAW_STU_HOSPITAL: a checkout of xbhlk/STU-Hospital (the folder holding Hospital/). */
test('STU-Hospital (real files): 42 images 128×128, one tumour each, masks resized by area', async (t) => {
  await convertEnvDataset(t, 'ULTRASAM_RAW_STU_HOSPITAL', 'STU-Hospital', async ({ raw, done, coco }) => {
    assert.equal(done.images, 42);
    assert.equal(done.annotations, 42);
    assert.equal(done.warnings.length, 0);
    let worstArea = 0;
    let worstShift = 0;
    let worstNearestShift = 0;
    let resized = 0;
    for (const image of coco.images) {
      assert.equal(`${image.width}×${image.height}`, '128×128', image.source_file);
      const annotations = coco.annotations.filter((a) => a.image_id === image.id);
      assert.equal(annotations.length, 1, `${image.source_file}: ${annotations.length} tumours`);
      const maskImage = await readRaster(join(raw, image.source_file!.replace('Test_Image_', 'mask_')));
      if (maskImage.width === image.width) continue;
      resized++;
      // The drawn mask's area and centroid in image pixels: resizing by area keeps both.
      const drawn = thresholdMask(maskImage);
      const drawnStats = areaAndCentroid(drawn, maskImage.width, image.width / maskImage.width);
      const converted = areaAndCentroid(decodeRle(annotations[0].segmentation as Rle), image.width, 1);
      const nearest = areaAndCentroid(resizeMaskNearest(drawn, maskImage.width, maskImage.height, image.width, image.height), image.width, 1);
      worstArea = Math.max(worstArea, Math.abs(converted.area / drawnStats.area - 1));
      worstShift = Math.max(worstShift, Math.hypot(converted.x - drawnStats.x, converted.y - drawnStats.y));
      worstNearestShift = Math.max(worstNearestShift, Math.hypot(nearest.x - drawnStats.x, nearest.y - drawnStats.y));
    }
    t.diagnostic(
      `${resized} masks resized; worst area error ${(worstArea * 100).toFixed(1)} %, worst centroid shift ${worstShift.toFixed(2)} px ` + `(nearest neighbour: ${worstNearestShift.toFixed(2)} px)`,
    );
    assert.equal(resized, 36);
    assert.ok(worstArea < 0.05, `a resized tumour's area is off by ${(worstArea * 100).toFixed(1)} %`);
    assert.ok(worstShift < 0.15, `a resized tumour moved by ${worstShift.toFixed(2)} px`);
  });
});
