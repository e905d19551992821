import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readImage } from '../../src/image/read.js';
import { renderOverlay } from '../../src/image/overlay.js';
import type { RawImage } from '../../src/image/types.js';
import { encodePng, toRgb8, writeFileAtomic, writeMaskPng, writeOverlayPng } from '../../src/image/write.js';
import { tempDir } from '../helpers/temp_dir.js';

const { dir, cleanup } = tempDir('write');
process.on('exit', cleanup);

test('writeMaskPng writes a one-channel PNG of 0 and 255, creating the folder, atomically', async () => {
  const mask = new Uint8Array([0, 1, 0, 7, 1, 0]); // any non-zero value is "object"
  const path = join(dir, 'nested', 'mask.png');
  await writeMaskPng(path, mask, 3, 2);
  const back = await readImage(path);
  assert.deepEqual([back.width, back.height, back.channels], [3, 2, 1]);
  assert.deepEqual([...back.data], [0, 255, 0, 255, 255, 0]);
  // Overwrite in place; no temporary files are left behind.
  await writeMaskPng(path, new Uint8Array(6), 3, 2);
  assert.deepEqual([...(await readImage(path)).data], [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(readdirSync(join(dir, 'nested')), ['mask.png']);
  await assert.rejects(writeMaskPng(join(dir, 'bad.png'), mask, 2, 2), /writeMaskPng\(.*bad\.png\): mask has 6 pixels, expected 2×2 = 4/);
});

test('writeFileAtomic removes its temporary file when the final rename fails', async () => {
  const sub = join(dir, 'atomic');
  const target = join(sub, 'target.png');
  mkdirSync(target, { recursive: true }); // a directory where the file should go: rename fails
  await assert.rejects(writeFileAtomic(target, new Uint8Array([1, 2, 3])));
  assert.deepEqual(readdirSync(sub), ['target.png']);
  const file = join(sub, 'file.bin');
  await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
  await writeFileAtomic(file, new Uint8Array([4]));
  assert.deepEqual([...readFileSync(file)], [4]);
  assert.deepEqual(readdirSync(sub).sort(), ['file.bin', 'target.png']);
});

test('toRgb8: grey → RGB, alpha dropped, 16-bit windowed over min..max, 8-bit RGB untouched', () => {
  const grey = toRgb8({ data: new Uint8Array([0, 100]), width: 2, height: 1, channels: 1, pixelSpacingMm: [0.1, 0.1] });
  assert.deepEqual([...grey.data], [0, 0, 0, 100, 100, 100]);
  assert.deepEqual(grey.pixelSpacingMm, [0.1, 0.1]);
  const greyAlpha = toRgb8({ data: new Uint8Array([5, 0, 6, 255]), width: 2, height: 1, channels: 2 });
  assert.deepEqual([...greyAlpha.data], [5, 5, 5, 6, 6, 6]);
  const rgba = toRgb8({ data: new Uint8Array([1, 2, 3, 0, 4, 5, 6, 9]), width: 2, height: 1, channels: 4 });
  assert.deepEqual([...rgba.data], [1, 2, 3, 4, 5, 6]);
  // 12-bit data in 16-bit samples: 1000..3000 spans the full 0..255.
  const sixteen = toRgb8({ data: new Uint16Array([1000, 2000, 3000]), width: 3, height: 1, channels: 1 });
  assert.deepEqual([...sixteen.data], [0, 0, 0, 128, 128, 128, 255, 255, 255]);
  // The alpha channel of 16-bit grey+alpha does not take part in the window.
  const sixteenAlpha = toRgb8({ data: new Uint16Array([10, 65535, 20, 0]), width: 2, height: 1, channels: 2 });
  assert.deepEqual([...sixteenAlpha.data], [0, 0, 0, 255, 255, 255]);
  assert.deepEqual([...toRgb8({ data: new Uint16Array([7, 7]), width: 2, height: 1, channels: 1 }).data], [0, 0, 0, 0, 0, 0]);
  const rgb: RawImage = { data: new Uint8Array(3), width: 1, height: 1, channels: 3 };
  assert.equal(toRgb8(rgb), rgb);
});

test('renderOverlay blends mask pixels and paints the contour opaque', () => {
  // 5×5 grey image of 100 with a 3×3 mask in the middle: its ring is contour, its centre is interior.
  const image: RawImage = { data: new Uint8Array(25).fill(100), width: 5, height: 5, channels: 1 };
  const mask = new Uint8Array(25);
  for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) mask[y * 5 + x] = 1;
  const out = renderOverlay(image, [{ mask, color: [200, 0, 50] }], { alpha: 0.5 });
  const at = (x: number, y: number) => [...out.data.subarray((y * 5 + x) * 3, (y * 5 + x) * 3 + 3)];
  assert.deepEqual(at(0, 0), [100, 100, 100]); // outside
  assert.deepEqual(at(1, 1), [200, 0, 50]); // contour
  assert.deepEqual(at(3, 2), [200, 0, 50]);
  assert.deepEqual(at(2, 2), [150, 50, 75]); // interior, half-way blend
  const noContour = renderOverlay(image, [{ mask }], { alpha: 0, contour: false });
  assert.deepEqual([...noContour.data], [...toRgb8(image).data]);
  assert.throws(() => renderOverlay(image, [{ mask: new Uint8Array(4) }]), /mask 0 has 4 pixels, the image 5×5 = 25/);
  assert.throws(() => renderOverlay(image, [{ mask, color: [300, 0, 0] }]), /colour must be three values in 0\.\.255/);
});

test('writeOverlayPng writes an 8-bit RGB PNG of a 16-bit image with the mask drawn', async () => {
  const image: RawImage = { data: new Uint16Array([0, 1000, 2000, 4000]), width: 2, height: 2, channels: 1 };
  const path = join(dir, 'overlay.png');
  await writeOverlayPng(path, image, [{ mask: new Uint8Array([0, 0, 0, 1]), color: [0, 255, 0] }]);
  const back = await readImage(path);
  assert.deepEqual([back.width, back.height, back.channels], [2, 2, 3]);
  assert.ok(back.data instanceof Uint8Array);
  assert.deepEqual([...back.data], [0, 0, 0, 64, 64, 64, 128, 128, 128, 0, 255, 0]);
});

test('encodePng keeps 16-bit and grey+alpha images as they are', async () => {
  const image: RawImage = { data: new Uint16Array([0, 65535, 300, 40000]), width: 2, height: 1, channels: 2 };
  const back = await readImage(await encodePng(image));
  assert.equal(back.channels, 2);
  assert.ok(back.data instanceof Uint16Array);
  assert.deepEqual([...back.data], [0, 65535, 300, 40000]);
});
