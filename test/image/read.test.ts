import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeBmp } from '../../src/image/bmp.js';
import { toRgb8 } from '../../src/image/convert.js';
import { ImageReadError } from '../../src/image/errors.js';
import { readImage, readImageFrames } from '../../src/image/read.js';
import { resizeLongestSide } from '../../src/image/resize.js';
import { buildBmp } from './bmp_writer.js';
import { tempDir } from '../helpers/temp_dir.js';

const { dir, cleanup } = tempDir('read');
process.on('exit', cleanup);

function save(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function pattern(n: number, limit: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 53 + ((i * i) % 17)) % limit);
}

/** Encode raw samples with sharp, keeping grey as grey and 16-bit as 16-bit. */
function encoder(data: Uint8Array | Uint16Array, width: number, height: number, channels: 1 | 2 | 3 | 4) {
  const sixteen = data instanceof Uint16Array;
  const space = channels <= 2 ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb';
  return sharp(data, { raw: { width, height, channels } }).toColourspace(space);
}

async function rejectsWith(promise: Promise<unknown>, kind: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ImageReadError, `expected ImageReadError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    assert.match(error.message, message);
    return true;
  });
}

const W = 7;
const H = 5;

for (const channels of [1, 2, 3, 4] as const) {
  test(`8-bit PNG with ${channels} channel(s) reads back exactly`, async () => {
    const values = pattern(W * H * channels, 256);
    const png = await encoder(new Uint8Array(values), W, H, channels).png().toBuffer();
    const image = await readImage(save(`c${channels}.png`, png));
    assert.equal(image.channels, channels);
    assert.equal(image.width, W);
    assert.equal(image.height, H);
    assert.ok(image.data instanceof Uint8Array);
    assert.deepEqual([...image.data], values);
  });
}

for (const channels of [1, 2, 3, 4] as const) {
  test(`16-bit PNG with ${channels} channel(s) comes back as Uint16Array, not truncated to 8 bits`, async () => {
    const values = pattern(W * H * channels, 65536).map((v) => (v * 7919) % 65536);
    const png = await encoder(new Uint16Array(values), W, H, channels).png().toBuffer();
    assert.equal((await sharp(png).metadata()).depth, 'ushort', 'the fixture itself must be 16-bit');
    const image = await readImage(png, { name: `c${channels}-16.png` });
    assert.equal(image.channels, channels);
    assert.ok(image.data instanceof Uint16Array);
    assert.deepEqual([...image.data], values);
  });
}

test('TIFF: 8-bit RGB and 16-bit grey (LZW) read back exactly', async () => {
  const rgb = pattern(W * H * 3, 256);
  const tiff8 = await encoder(new Uint8Array(rgb), W, H, 3).tiff({ compression: 'lzw' }).toBuffer();
  assert.deepEqual([...(await readImage(save('rgb.tif', tiff8))).data], rgb);
  const grey = pattern(W * H, 65536).map((v) => (v * 4099) % 65536);
  const tiff16 = await encoder(new Uint16Array(grey), W, H, 1).tiff({ compression: 'lzw' }).toBuffer();
  const image = await readImage(save('grey16.tif', tiff16));
  assert.equal(image.channels, 1);
  assert.ok(image.data instanceof Uint16Array);
  assert.deepEqual([...image.data], grey);
});

test('lossless WebP (RGB and RGBA) reads back exactly', async () => {
  for (const channels of [3, 4] as const) {
    const values = pattern(W * H * channels, 256).map((v, i) => (channels === 4 && i % 4 === 3 ? 255 - (v % 100) : v));
    const webp = await encoder(new Uint8Array(values), W, H, channels).webp({ lossless: true, exact: true }).toBuffer();
    const image = await readImage(save(`c${channels}.webp`, webp));
    assert.equal(image.channels, channels);
    assert.deepEqual([...image.data], values);
  }
});

test('JPEG: colour within JPEG error, grey stays one channel', async () => {
  const colour = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 30, b: 90 } } })
    .jpeg({ quality: 95 })
    .toBuffer();
  const image = await readImage(save('colour.jpg', colour));
  assert.equal(image.channels, 3);
  for (let i = 0; i < image.data.length; i += 3) {
    assert.ok(Math.abs(image.data[i] - 200) <= 3 && Math.abs(image.data[i + 1] - 30) <= 3 && Math.abs(image.data[i + 2] - 90) <= 3);
  }
  const grey = await encoder(new Uint8Array(64).fill(123), 8, 8, 1).jpeg({ quality: 95 }).toBuffer();
  const greyImage = await readImage(save('grey.jpg', grey));
  assert.equal(greyImage.channels, 1);
  assert.ok(greyImage.data.every((v) => Math.abs(v - 123) <= 2));
});

test('GIF: palette colours come back as RGB(A)', async () => {
  const values = Array.from({ length: W * H }, (_, i) => (i % 3 === 0 ? [255, 0, 0] : [0, 0, 255])).flat();
  const gif = await encoder(new Uint8Array(values), W, H, 3).gif().toBuffer();
  const image = await readImage(save('two.gif', gif));
  assert.ok(image.channels === 3 || image.channels === 4);
  for (let p = 0; p < W * H; p++) {
    assert.deepEqual([...image.data.subarray(p * image.channels, p * image.channels + 3)], values.slice(p * 3, p * 3 + 3));
  }
});

test('BMP: 24-bit bottom-up, 32-bit BGRX and BGRA, 8-bit grey and colour palettes, 1- and 4-bit palettes, top-down', async () => {
  const rgb = pattern(W * H * 3, 256);
  const bottomUp = await readImage(save('rgb24.bmp', buildBmp({ width: W, height: H, bitsPerPixel: 24, pixels: rgb })));
  assert.equal(bottomUp.channels, 3);
  assert.deepEqual([...bottomUp.data], rgb);
  assert.deepEqual([...decodeBmp(buildBmp({ width: W, height: H, bitsPerPixel: 24, pixels: rgb, topDown: true })).data], rgb);
  assert.deepEqual([...decodeBmp(buildBmp({ width: W, height: H, bitsPerPixel: 32, pixels: rgb })).data], rgb);

  const rgba = pattern(W * H * 4, 256);
  const withAlpha = decodeBmp(buildBmp({ width: W, height: H, bitsPerPixel: 32, pixels: rgba, alpha: true }));
  assert.equal(withAlpha.channels, 4);
  assert.deepEqual([...withAlpha.data], rgba);

  const greyPalette = Array.from({ length: 256 }, (_, i) => [i, i, i] as [number, number, number]);
  const indices = pattern(W * H, 256);
  const grey = decodeBmp(buildBmp({ width: W, height: H, bitsPerPixel: 8, pixels: indices, palette: greyPalette }));
  assert.equal(grey.channels, 1);
  assert.deepEqual([...grey.data], indices);

  const colours: [number, number, number][] = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [10, 20, 30],
  ];
  for (const bitsPerPixel of [1, 4, 8] as const) {
    const used = colours.slice(0, bitsPerPixel === 1 ? 2 : 4);
    const idx = pattern(W * H, used.length);
    const image = decodeBmp(buildBmp({ width: W, height: H, bitsPerPixel, pixels: idx, palette: used, topDown: bitsPerPixel === 4 }));
    assert.equal(image.channels, 3);
    assert.deepEqual(
      [...image.data],
      idx.flatMap((i) => used[i]),
      `${bitsPerPixel}-bit palette`,
    );
  }

  const cut = buildBmp({ width: W, height: H, bitsPerPixel: 24, pixels: rgb }).subarray(0, 100);
  await rejectsWith(readImage(save('cut.bmp', cut)), 'truncated', /cut\.bmp: BMP pixel data needs/);
});

test('a 1×1 image and raw pixel sources', async () => {
  const png = await encoder(new Uint8Array([9, 8, 7]), 1, 1, 3)
    .png()
    .toBuffer();
  const one = await readImage(png);
  assert.deepEqual([one.width, one.height, one.channels, [...one.data]], [1, 1, 3, [9, 8, 7]]);
  assert.equal(resizeLongestSide(one, 1024).width, 1024);

  const raw = await readImage({ data: new Uint8ClampedArray([1, 2, 3, 4]), width: 2, height: 2, channels: 1, pixelSpacingMm: [0.1, 0.2] });
  assert.ok(raw.data instanceof Uint8Array);
  assert.deepEqual(raw.pixelSpacingMm, [0.1, 0.2]);
  assert.equal((await readImageFrames(raw)).length, 1);
  await rejectsWith(readImage({ data: new Uint8Array(5), width: 2, height: 2, channels: 1 }), 'invalid', /image: raw image data has 5 values, expected 2×2×1 = 4/);
  await rejectsWith(readImage({ data: new Uint8Array(0), width: 0, height: 0, channels: 1 }), 'invalid', /raw image size must be positive/);
  await rejectsWith(readImage({ data: new Uint8Array(10), width: 2, height: 1, channels: 5 }, { name: 'canvas' }), 'invalid', /^canvas: raw image channels must be 1, 2, 3 or 4/);
});

test('EXIF orientation is applied, so pixels come upright as viewers show them', async () => {
  // 4×2 stored; orientation 6 means "rotate 90° clockwise to display" → 2×4 upright.
  const stored = [0, 10, 20, 30, 40, 50, 60, 70];
  const jpeg = await encoder(new Uint8Array(stored.flatMap((v) => [v, v, v])), 4, 2, 3)
    .jpeg({ quality: 100 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
  assert.equal((await sharp(jpeg).metadata()).orientation, 6);
  const image = await readImage(jpeg);
  assert.deepEqual([image.width, image.height], [2, 4]);
  // After a clockwise turn the stored bottom-left pixel (40) is the top-left one.
  assert.ok(Math.abs(image.data[0] - 40) <= 4, `top-left is ${image.data[0]}`);
});

test('encoded bytes may come as Buffer, Uint8Array or ArrayBuffer; other values are refused', async () => {
  const png = await encoder(new Uint8Array([1, 2, 3, 4]), 2, 2, 1)
    .png()
    .toBuffer();
  const copy = new Uint8Array(png);
  for (const source of [png, copy, copy.buffer]) assert.deepEqual([...(await readImage(source)).data], [1, 2, 3, 4]);
  await assert.rejects(readImage(42 as unknown as string), /expected a path, a Buffer\/Uint8Array\/ArrayBuffer or \{data, width, height, channels\}/);
});

test('a 4000×3000 image reads and resizes to 1024×768', async () => {
  const png = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: { r: 10, g: 100, b: 200 } } })
    .png()
    .toBuffer();
  const image = await readImage(save('big.png', png));
  assert.equal(image.width, 4000);
  assert.equal(image.height, 3000);
  assert.equal(image.data.length, 4000 * 3000 * 3);
  const resized = resizeLongestSide(toRgb8(image), 1024);
  assert.deepEqual([resized.width, resized.height], [1024, 768]);
  assert.deepEqual([...resized.data.subarray(0, 3)], [10, 100, 200]);
});

test('clear errors: truncated PNG and JPEG, text, empty, missing, directory, frame of a single image', async () => {
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#204060', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .png()
    .toBuffer();
  const cutPng = save('cut.png', png.subarray(0, png.length >> 1));
  await rejectsWith(readImage(cutPng), 'truncated', new RegExp(`^${cutPng.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: truncated or damaged PNG`));
  await rejectsWith(readImage(save('header.png', png.subarray(0, 20))), 'corrupt', /header\.png: corrupt PNG/);
  const jpeg = await sharp(png).jpeg().toBuffer();
  await rejectsWith(readImage(save('cut.jpg', jpeg.subarray(0, jpeg.length >> 1))), 'truncated', /cut\.jpg: truncated or damaged JPEG/);
  await rejectsWith(
    readImage(save('notes.png', 'patient id, area\n1, 2\n')),
    'unsupported',
    /notes\.png: unsupported image format \(expected PNG, JPEG, BMP, TIFF, WebP, GIF or DICOM\); it looks like text/,
  );
  await rejectsWith(readImage(save('zero.png', new Uint8Array(0))), 'empty', /zero\.png: empty file \(0 bytes\)/);
  await rejectsWith(readImage(join(dir, 'missing.png')), 'unreadable', /missing\.png: cannot read image: no such file/);
  await rejectsWith(readImage(dir), 'unreadable', /cannot read image: is a directory/);
  await rejectsWith(readImage(png, { frame: 1, name: 'scan.png' }), 'invalid', /^scan\.png: frame 1 does not exist: PNG has a single frame/);
  await rejectsWith(readImage(new Uint8Array(0)), 'empty', /^image buffer: empty buffer/);
});
