import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { isDicom, readDicom, readDicomFrames, readDicomInfo } from '../../src/image/dicom.js';
import { ImageReadError } from '../../src/image/errors.js';
import { readImage, readImageFrames } from '../../src/image/read.js';
import { DEFLATED_LE, EXPLICIT_BE, IMPLICIT_LE, JPEG_2000, JPEG_BASELINE, RLE_LOSSLESS, buildDicom, pixelElements, ultrasoundRegion, type DicomElements } from './dicom_writer.js';
import { tempDir } from '../helpers/temp_dir.js';

const { dir, cleanup } = tempDir('dicom');
process.on('exit', cleanup);

function save(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Deterministic test pattern of n values below `limit`. */
function pattern(n: number, limit: number, seed = 1): number[] {
  return Array.from({ length: n }, (_, i) => (i * 37 + seed * 101 + ((i * i) % 13)) % limit);
}

async function rejectsWith(promise: Promise<unknown>, kind: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ImageReadError, `expected ImageReadError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    assert.match(error.message, message);
    return true;
  });
}

test('single-frame 8-bit grey DICOM is detected by its DICM magic and read as 1 channel', async () => {
  const values = pattern(5 * 4, 256);
  const bytes = buildDicom(pixelElements({ rows: 4, columns: 5, photometric: 'MONOCHROME2', bitsAllocated: 8, pixels: new Uint8Array(values) }));
  assert.ok(isDicom(bytes));
  // No extension: the magic alone routes it.
  const image = await readImage(save('grey-8bit', bytes));
  assert.equal(image.width, 5);
  assert.equal(image.height, 4);
  assert.equal(image.channels, 1);
  assert.ok(image.data instanceof Uint8Array);
  assert.deepEqual([...image.data], values);
  assert.equal(image.pixelSpacingMm, undefined);
  const info = readDicomInfo(bytes);
  assert.equal(info.frames, 1);
  assert.equal(info.modality, 'US');
  assert.equal(info.transferSyntax, '1.2.840.10008.1.2.1');
});

test('multi-frame RGB (colour-by-pixel and colour-by-plane) gives every frame and honours frame selection', async () => {
  const rows = 3;
  const columns = 4;
  const frames = [0, 1, 2].map((f) => pattern(rows * columns * 3, 256, f + 2));
  const interleaved = new Uint8Array(frames.flat());
  // The same frames in planar layout: per frame RR…GG…BB….
  const planar = new Uint8Array(frames.flatMap((f) => [0, 1, 2].flatMap((c) => Array.from({ length: rows * columns }, (_, p) => f[p * 3 + c]))));
  for (const [planarConfiguration, pixels] of [
    [0, interleaved],
    [1, planar],
  ] as const) {
    const bytes = buildDicom(pixelElements({ rows, columns, photometric: 'RGB', bitsAllocated: 8, frames: 3, planarConfiguration, pixels }));
    const all = await readImageFrames(bytes, { name: `rgb-planar${planarConfiguration}` });
    assert.equal(all.length, 3);
    all.forEach((frame, i) => {
      assert.equal(frame.channels, 3);
      assert.deepEqual([...frame.data], frames[i], `planar ${planarConfiguration}, frame ${i}`);
    });
    const second = await readImage(bytes, { frame: 2 });
    assert.deepEqual([...second.data], frames[2]);
    await rejectsWith(readImage(bytes, { frame: 3, name: 'cine.dcm' }), 'invalid', /^cine\.dcm: frame 3 does not exist \(the file has 3 frame/);
  }
});

test('16-bit MONOCHROME2 comes back as Uint16Array with the stored values', async () => {
  const values = pattern(6 * 5, 4096).map((v) => v * 1 + 17);
  const bytes = buildDicom(pixelElements({ rows: 5, columns: 6, photometric: 'MONOCHROME2', bitsAllocated: 16, bitsStored: 12, pixels: new Uint16Array(values) }));
  const image = await readDicom(bytes);
  assert.ok(image.data instanceof Uint16Array);
  assert.deepEqual([...image.data], values);
});

test('MONOCHROME1 is inverted so that 0 is black (8-bit and 12-bit)', async () => {
  const eight = buildDicom(pixelElements({ rows: 1, columns: 4, photometric: 'MONOCHROME1', bitsAllocated: 8, pixels: new Uint8Array([0, 1, 200, 255]) }));
  assert.deepEqual([...(await readDicom(eight)).data], [255, 254, 55, 0]);
  const twelve = buildDicom(pixelElements({ rows: 1, columns: 3, photometric: 'MONOCHROME1', bitsAllocated: 16, bitsStored: 12, pixels: new Uint16Array([0, 95, 4095]) }));
  assert.deepEqual([...(await readDicom(twelve)).data], [4095, 4000, 0]);
});

test('signed 16-bit samples keep their order, shifted into the unsigned range', async () => {
  const values = [-32768, -1000, -1, 0, 1, 32767];
  const bytes = buildDicom(pixelElements({ rows: 2, columns: 3, photometric: 'MONOCHROME2', bitsAllocated: 16, pixelRepresentation: 1, pixels: new Int16Array(values) }));
  assert.deepEqual(
    [...(await readDicom(bytes)).data],
    values.map((v) => v + 32768),
  );
  // 12 bits stored in 16 allocated, with the sign extended into the top bits as writers do.
  const signed12 = buildDicom(pixelElements({ rows: 1, columns: 3, photometric: 'MONOCHROME2', bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 1, pixels: new Int16Array([-2048, 0, 2047]) }));
  assert.deepEqual([...(await readDicom(signed12)).data], [0, 2048, 4095]);
});

test('YBR_FULL and YBR_FULL_422 are converted to RGB', async () => {
  // JFIF full-range YCbCr of pure red, green, blue and a mid grey.
  const ybr = [76, 85, 255, 150, 44, 21, 29, 255, 107, 128, 128, 128];
  const expected = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [128, 128, 128],
  ];
  const full = await readDicom(buildDicom(pixelElements({ rows: 2, columns: 2, photometric: 'YBR_FULL', bitsAllocated: 8, pixels: new Uint8Array(ybr) })));
  assert.equal(full.channels, 3);
  expected.forEach((rgb, p) => rgb.forEach((v, c) => assert.ok(Math.abs(full.data[p * 3 + c] - v) <= 2, `pixel ${p} channel ${c}: ${full.data[p * 3 + c]} vs ${v}`)));
  // 4×1 pixels in 422: (Y0 Y1 Cb Cr) per pair; first pair grey 10/200, second pair both red.
  const packed = new Uint8Array([10, 200, 128, 128, 76, 76, 85, 255]);
  const sub = await readDicom(buildDicom(pixelElements({ rows: 1, columns: 4, photometric: 'YBR_FULL_422', bitsAllocated: 8, pixels: packed })));
  assert.deepEqual([...sub.data.subarray(0, 6)], [10, 10, 10, 200, 200, 200]);
  for (const p of [2, 3]) [255, 0, 0].forEach((v, c) => assert.ok(Math.abs(sub.data[p * 3 + c] - v) <= 2));
});

test('pixel spacing comes from the largest 2D ultrasound region, in cm converted to mm', async () => {
  const elements: DicomElements = {
    ...pixelElements({ rows: 100, columns: 120, photometric: 'MONOCHROME2', bitsAllocated: 8, pixels: new Uint8Array(12000) }),
    '0018,6011': {
      vr: 'SQ',
      items: [
        ultrasoundRegion({ x0: 0, y0: 0, x1: 19, y1: 19, deltaX: 0.05, deltaY: 0.05 }), // small 2D region
        ultrasoundRegion({ x0: 10, y0: 5, x1: 109, y1: 94, deltaX: 0.01, deltaY: 0.012 }), // the B-mode sector
        ultrasoundRegion({ x0: 0, y0: 0, x1: 119, y1: 99, deltaX: 0.5, deltaY: 0.5, spatialFormat: 3 }), // spectral, bigger
        ultrasoundRegion({ x0: 0, y0: 0, x1: 119, y1: 99, deltaX: 0.2, deltaY: 0.2, unitsX: 4 }), // seconds on x
      ],
    },
    '0028,0030': { vr: 'DS', value: '0.5\\0.4' },
  };
  const bytes = buildDicom(elements);
  const image = await readDicom(bytes);
  assert.ok(image.pixelSpacingMm);
  assert.ok(Math.abs(image.pixelSpacingMm[0] - 0.1) < 1e-12);
  assert.ok(Math.abs(image.pixelSpacingMm[1] - 0.12) < 1e-12);
  assert.deepEqual(readDicomInfo(bytes).pixelSpacingMm, image.pixelSpacingMm);
});

test('without usable regions, PixelSpacing (row\\column, mm) and then ImagerPixelSpacing are used', async () => {
  const base = pixelElements({ rows: 2, columns: 2, photometric: 'MONOCHROME2', bitsAllocated: 8, pixels: new Uint8Array(4) });
  const withPixelSpacing = await readDicom(
    buildDicom({
      ...base,
      '0018,6011': { vr: 'SQ', items: [ultrasoundRegion({ x0: 0, y0: 0, x1: 1, y1: 1, deltaX: 0.1, deltaY: 0.1, unitsY: 4 })] },
      '0028,0030': { vr: 'DS', value: '0.3\\0.2' },
    }),
  );
  assert.deepEqual(withPixelSpacing.pixelSpacingMm, [0.2, 0.3]);
  const imager = await readDicom(buildDicom({ ...base, '0018,1164': { vr: 'DS', value: '0.25\\0.125' } }));
  assert.deepEqual(imager.pixelSpacingMm, [0.125, 0.25]);
});

test('implicit VR little endian files (with a region sequence) read the same', async () => {
  const values = pattern(12, 256);
  const bytes = buildDicom(
    {
      ...pixelElements({ rows: 3, columns: 4, photometric: 'MONOCHROME2', bitsAllocated: 8, pixels: new Uint8Array(values) }),
      '0018,6011': { vr: 'SQ', items: [ultrasoundRegion({ x0: 0, y0: 0, x1: 3, y1: 2, deltaX: 0.02, deltaY: 0.03 })] },
    },
    { transferSyntax: IMPLICIT_LE },
  );
  const image = await readDicom(bytes);
  assert.deepEqual([...image.data], values);
  assert.ok(image.pixelSpacingMm && Math.abs(image.pixelSpacingMm[0] - 0.2) < 1e-12 && Math.abs(image.pixelSpacingMm[1] - 0.3) < 1e-12);
});

test('deflated explicit VR and explicit big endian files read the same', async () => {
  const grey16 = pattern(12, 65536).map((v) => (v * 31) % 65536);
  const rgb8 = pattern(12 * 3, 256);
  for (const transferSyntax of [DEFLATED_LE, EXPLICIT_BE]) {
    const elements: DicomElements = {
      ...pixelElements({ rows: 3, columns: 4, photometric: 'MONOCHROME2', bitsAllocated: 16, pixels: new Uint16Array(grey16) }),
      '0028,0030': { vr: 'DS', value: '0.5\\0.25' },
    };
    const grey = await readDicom(buildDicom(elements, { transferSyntax }));
    assert.deepEqual([...grey.data], grey16, transferSyntax);
    assert.deepEqual(grey.pixelSpacingMm, [0.25, 0.5]);
    // 8-bit samples in an OW element: big endian swaps each byte pair on disk.
    const colour = pixelElements({ rows: 3, columns: 4, photometric: 'RGB', bitsAllocated: 8, pixels: new Uint8Array(rgb8) });
    colour['7fe0,0010'] = { vr: 'OW', bytes: new Uint8Array(rgb8) };
    assert.deepEqual([...(await readDicom(buildDicom(colour, { transferSyntax }))).data], rgb8, transferSyntax);
  }
});

test('a bare data set without preamble is read when the file is named .dcm', async () => {
  const values = pattern(6, 256);
  const bare = buildDicom(pixelElements({ rows: 2, columns: 3, photometric: 'MONOCHROME2', bitsAllocated: 8, pixels: new Uint8Array(values) }), { bare: true });
  assert.ok(!isDicom(bare));
  assert.deepEqual([...(await readImage(save('bare.dcm', bare))).data], values);
  await rejectsWith(readImage(save('bare.bin', bare)), 'unsupported', /bare\.bin: unsupported image format/);
});

test('JPEG baseline frames are decoded (through sharp), one fragment per frame', async () => {
  const frames = await Promise.all(
    [40, 160].map((level) =>
      sharp({ create: { width: 16, height: 8, channels: 3, background: { r: level, g: 255 - level, b: 90 } } })
        .jpeg({ quality: 95 })
        .toBuffer(),
    ),
  );
  const bytes = buildDicom(pixelElements({ rows: 8, columns: 16, photometric: 'YBR_FULL_422', bitsAllocated: 8, frames: 2, fragments: frames.map((f) => new Uint8Array(f)) }), {
    transferSyntax: JPEG_BASELINE,
  });
  const decoded = await readImageFrames(bytes, { name: 'jpeg.dcm' });
  assert.equal(decoded.length, 2);
  for (const [i, level] of [40, 160].entries()) {
    assert.equal(decoded[i].channels, 3);
    assert.equal(decoded[i].width, 16);
    const [r, g, b] = decoded[i].data;
    assert.ok(Math.abs(r - level) <= 3 && Math.abs(g - (255 - level)) <= 3 && Math.abs(b - 90) <= 3, `frame ${i}: ${r},${g},${b}`);
  }
  await rejectsWith(readDicom(bytes, { name: 'jpeg.dcm' }), 'unsupported', /needs a JPEG decoder/);
});

/** PackBits, as DICOM RLE wants it: replicate runs for repeats of 3 or more, literal runs otherwise. */
function packBits(bytes: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    let run = 1;
    while (i + run < bytes.length && bytes[i + run] === bytes[i] && run < 128) run++;
    if (run >= 3) {
      out.push(257 - run, bytes[i]);
      i += run;
      continue;
    }
    const start = i;
    while (i < bytes.length && i - start < 128 && !(bytes[i + 1] === bytes[i] && bytes[i + 2] === bytes[i])) i++;
    out.push(i - start - 1, ...bytes.slice(start, i));
  }
  return out;
}

function rleFrame(samples: number[], samplesPerPixel: number, bytesPerSample: number): Uint8Array {
  const pixels = samples.length / samplesPerPixel;
  const segments: number[][] = [];
  for (let s = 0; s < samplesPerPixel; s++) {
    for (let b = bytesPerSample - 1; b >= 0; b--) {
      segments.push(packBits(Array.from({ length: pixels }, (_, p) => (samples[p * samplesPerPixel + s] >> (8 * b)) & 0xff)));
    }
  }
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((segment, i) => {
    view.setUint32(4 + 4 * i, offset, true);
    offset += segment.length;
  });
  return new Uint8Array([...header, ...segments.flat()]);
}

test('RLE Lossless frames decode for 8-bit RGB and 16-bit grey', async () => {
  const rgb = [...pattern(10 * 3, 256), ...Array(30).fill(7)];
  const rgbFile = buildDicom(pixelElements({ rows: 4, columns: 5, photometric: 'RGB', bitsAllocated: 8, fragments: [rleFrame(rgb, 3, 1)] }), { transferSyntax: RLE_LOSSLESS });
  assert.deepEqual([...(await readDicom(rgbFile)).data], rgb);
  const grey = [...pattern(8, 65536).map((v) => v * 3), 1000, 1000, 1000, 1000];
  const greyFile = buildDicom(pixelElements({ rows: 3, columns: 4, photometric: 'MONOCHROME2', bitsAllocated: 16, fragments: [rleFrame(grey, 1, 2)] }), { transferSyntax: RLE_LOSSLESS });
  const image = await readDicom(greyFile);
  assert.ok(image.data instanceof Uint16Array);
  assert.deepEqual([...image.data], grey);
});

test('PALETTE COLOR maps indices through the red/green/blue tables', async () => {
  const table = (f: (i: number) => number) => new Uint16Array(Array.from({ length: 4 }, (_, i) => f(i) * 257));
  const bytes = buildDicom({
    ...pixelElements({ rows: 1, columns: 4, photometric: 'PALETTE COLOR', bitsAllocated: 8, pixels: new Uint8Array([3, 2, 1, 0]) }),
    '0028,1101': { vr: 'US', values: [4, 0, 16] },
    '0028,1102': { vr: 'US', values: [4, 0, 16] },
    '0028,1103': { vr: 'US', values: [4, 0, 16] },
    '0028,1201': { vr: 'OW', bytes: new Uint8Array(table((i) => i * 80).buffer) },
    '0028,1202': { vr: 'OW', bytes: new Uint8Array(table((i) => 255 - i * 80).buffer) },
    '0028,1203': { vr: 'OW', bytes: new Uint8Array(table(() => 9).buffer) },
  });
  const image = await readDicom(bytes);
  assert.equal(image.channels, 3);
  assert.deepEqual([...image.data], [240, 15, 9, 160, 95, 9, 80, 175, 9, 0, 255, 9]);
});

test('unsupported transfer syntaxes, truncated pixel data and missing pixels give clear errors', async () => {
  const j2k = buildDicom(pixelElements({ rows: 2, columns: 2, photometric: 'MONOCHROME2', bitsAllocated: 8, fragments: [new Uint8Array([0xff, 0x4f, 0xff, 0x51])] }), { transferSyntax: JPEG_2000 });
  await rejectsWith(readImage(save('j2k.dcm', j2k)), 'unsupported', /j2k\.dcm: transfer syntax 1\.2\.840\.10008\.1\.2\.4\.90 \(JPEG 2000 Lossless\) is not supported/);
  // Header facts are still available for such files.
  assert.equal(readDicomInfo(j2k).transferSyntax, JPEG_2000);

  const whole = buildDicom(pixelElements({ rows: 10, columns: 10, photometric: 'MONOCHROME2', bitsAllocated: 8, frames: 2, pixels: new Uint8Array(200) }));
  await rejectsWith(readImage(save('cut.dcm', whole.subarray(0, whole.length - 150))), 'truncated', /cut\.dcm: truncated DICOM/);
  // A declared length that is shorter than the frames need (a writer's mistake rather than a cut file).
  const short = buildDicom(pixelElements({ rows: 10, columns: 10, photometric: 'MONOCHROME2', bitsAllocated: 8, frames: 2, pixels: new Uint8Array(150) }));
  await rejectsWith(readImage(short, { name: 'short.dcm' }), 'corrupt', /short\.dcm: DICOM pixel data is too short: 2 frame\(s\) of 10×10×1 at 8 bits need 200 bytes, the element declares 150/);

  const noPixels = buildDicom({ '0008,0060': { vr: 'CS', value: 'SR' } });
  await rejectsWith(readDicom(noPixels, { name: 'report.dcm' }), 'invalid', /report\.dcm: DICOM has no Pixel Data element/);

  const garbage = new Uint8Array(200);
  garbage.set([0x44, 0x49, 0x43, 0x4d], 128);
  garbage.fill(0xff, 132);
  await assert.rejects(readDicom(garbage, { name: 'garbage.dcm' }), (e: unknown) => e instanceof ImageReadError && /^garbage\.dcm: /.test(e.message));
});

test('readDicomFrames returns all frames of a 16-bit cine loop', async () => {
  const frames = [0, 1, 2, 3].map((f) => pattern(6, 65536, f));
  const bytes = buildDicom(pixelElements({ rows: 2, columns: 3, photometric: 'MONOCHROME2', bitsAllocated: 16, frames: 4, pixels: new Uint16Array(frames.flat()) }));
  const all = await readDicomFrames(bytes);
  assert.deepEqual(
    all.map((f) => [...f.data]),
    frames,
  );
});
