// The pixel cap: every reader refuses, from the header, an image whose pixels pass the limit, before
// decoding or allocating them (a 249 KB PNG declaring 16000×16000 took gigabytes and seconds to
// decode: docs/benchmarks.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, deflateRawSync } from 'node:zlib';
import { readDicom } from '../../src/image/dicom.js';
import { ImageReadError } from '../../src/image/errors.js';
import { DEFAULT_MAX_PIXELS, MAX_PIXELS_ENV, maxImagePixels } from '../../src/image/limits.js';
import { readImage } from '../../src/image/read.js';
import { readMetaImage, streamMetaImageFrames } from '../../src/data/formats/mha.js';
import { readNifti, readNiftiHeader } from '../../src/data/formats/nifti.js';
import { writeMetaImage, writeNifti } from '../data/formats/synthetic_writers.js';
import { blackPng, deflateRepeated } from '../hostile/bombs.js';
import { buildBmp } from './bmp_writer.js';
import { DEFLATED_LE, RLE_LOSSLESS, buildDicom, encodeDataSet, pixelElements } from './dicom_writer.js';
import { tempDir } from '../helpers/temp_dir.js';

const { dir, cleanup } = tempDir('limits');
process.on('exit', cleanup);

function save(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** An ImageReadError of kind 'too-large' whose message matches. */
function tooLarge(message: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof ImageReadError, String(error));
    assert.equal(error.kind, 'too-large', error.message);
    assert.match(error.message, message);
    return true;
  };
}

async function withCap<T>(cap: string | undefined, body: () => Promise<T>): Promise<T> {
  const before = process.env[MAX_PIXELS_ENV];
  if (cap === undefined) delete process.env[MAX_PIXELS_ENV];
  else process.env[MAX_PIXELS_ENV] = cap;
  try {
    return await body();
  } finally {
    if (before === undefined) delete process.env[MAX_PIXELS_ENV];
    else process.env[MAX_PIXELS_ENV] = before;
  }
}

test('the cap is 8192² unless ULTRASAM_MAX_PIXELS says otherwise; a bad value is an error naming it', async () => {
  await withCap(undefined, async () => assert.equal(maxImagePixels(), DEFAULT_MAX_PIXELS));
  assert.equal(DEFAULT_MAX_PIXELS, 8192 * 8192);
  await withCap('1000', async () => assert.equal(maxImagePixels(), 1000));
  for (const bad of ['0x10', '-5', '1e3', 'lots']) {
    await withCap(bad, async () => assert.throws(() => maxImagePixels(), new RegExp(`ULTRASAM_MAX_PIXELS="${bad}" is not a positive whole number`)));
  }
});

test('a 253 KB PNG of 16000×16000 is refused from its header, quickly', async () => {
  const path = save('bomb.png', blackPng(16000, 16000));
  const started = performance.now();
  await assert.rejects(readImage(path), tooLarge(/bomb\.png: PNG of 16000×16000 = 256,000,000 pixels is over the limit of 67,108,864 \(raise it with --max-pixels or ULTRASAM_MAX_PIXELS\)/));
  assert.ok(performance.now() - started < 5000, 'refused without decoding');
  // The same reader, the cap lowered: a 30×20 PNG passes at 600 and is refused at 599.
  const small = save('small.png', blackPng(30, 20));
  await withCap('600', async () => assert.equal((await readImage(small)).width, 30));
  await withCap('599', () => assert.rejects(readImage(small), tooLarge(/PNG of 30×20 = 600 pixels is over the limit of 599/)));
});

test('BMP: the header size is checked against the cap before the pixel data', async () => {
  const header = buildBmp({ width: 4, height: 2, bitsPerPixel: 24, pixels: new Array<number>(24).fill(0) });
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  view.setInt32(18, 9000, true);
  view.setInt32(22, 8000, true);
  await assert.rejects(readImage(save('huge.bmp', header)), tooLarge(/huge\.bmp: BMP of 9000×8000 = 72,000,000 pixels/));
});

test('DICOM: a 65535² frame is refused from Rows and Columns, native or RLE (whose tiny fragment would expand to 4 GB)', async () => {
  const native = buildDicom(pixelElements({ rows: 65535, columns: 65535, photometric: 'MONOCHROME2', bitsAllocated: 8, pixels: new Uint8Array(16) }));
  await assert.rejects(readDicom(native, { name: 'native.dcm' }), tooLarge(/native\.dcm: DICOM frame \(Columns × Rows\) of 65535×65535 = 4,294,836,225 pixels/));
  const rle = new Uint8Array(66);
  new DataView(rle.buffer).setUint32(0, 1, true); // one segment
  new DataView(rle.buffer).setUint32(4, 64, true); // at byte 64
  rle.set([0x81, 0], 64); // 128 zeros, PackBits
  const encapsulated = buildDicom(pixelElements({ rows: 65535, columns: 65535, photometric: 'MONOCHROME2', bitsAllocated: 8, fragments: [rle] }), { transferSyntax: RLE_LOSSLESS });
  await assert.rejects(readImage(save('rle.dcm', encapsulated)), tooLarge(/rle\.dcm: DICOM frame \(Columns × Rows\) of 65535×65535/));
});

test('DICOM: a deflated data set is inflated under a cap (4 bytes per capped pixel), not whole', async () => {
  // A small image, then a private OB element declaring 300 MiB of zeros: 300 KB deflated.
  const cap = 1 << 20;
  const head = encodeDataSet(pixelElements({ rows: 2, columns: 2, photometric: 'MONOCHROME2', bitsAllocated: 8, pixels: new Uint8Array(4) }), true);
  const element = new Uint8Array(12);
  const view = new DataView(element.buffer);
  view.setUint16(0, 0x0009, true);
  view.setUint16(2, 0x1000, true);
  element.set([0x4f, 0x42], 4); // OB
  view.setUint32(8, 300 << 20, true);
  const flush = { finishFlush: constants.Z_FULL_FLUSH };
  const body = Buffer.concat([deflateRawSync(Buffer.concat([head, element]), flush), deflateRepeated(0, 300 << 20)]);
  const bomb = buildDicom({}, { transferSyntax: DEFLATED_LE, body });
  await withCap(String(cap), () => assert.rejects(readDicom(bomb, { name: 'deflated.dcm' }), tooLarge(/deflated\.dcm: deflated DICOM data set inflates past 4,194,304 bytes/)));
});

test('NIfTI and MetaImage: a frame past the cap is refused from the header; a volume read whole counts all its voxels', async () => {
  const nii = join(dir, 'huge.nii.gz');
  await writeNifti(nii, { dims: [30000, 30000], type: 'uint8', values: [] });
  await assert.rejects(readNiftiHeader(nii), tooLarge(/huge\.nii\.gz: NIfTI frame \(dim\[1\] × dim\[2\]\) of 30000×30000 = 900,000,000 pixels/));
  const volume = join(dir, 'volume.nii');
  await writeNifti(volume, { dims: [4096, 4096, 8], type: 'uint8', values: [] });
  await assert.rejects(readNifti(volume), tooLarge(/volume\.nii: NIfTI volume read whole of 4096×4096×8 = 134,217,728 pixels/));
  const mha = join(dir, 'huge.mha');
  await writeMetaImage(mha, { dims: [70000, 70000, 2], type: 'uint8', values: [] });
  await assert.rejects(streamMetaImageFrames(mha).next(), tooLarge(/huge\.mha: MetaImage frame \(DimSize x × y\) of 70000×70000/));
  const mhaVolume = join(dir, 'volume.mha');
  await writeMetaImage(mhaVolume, { dims: [4096, 4096, 8], type: 'uint8', values: [], compressed: true });
  await assert.rejects(readMetaImage(mhaVolume), tooLarge(/volume\.mha: MetaImage volume read whole \(DimSize\) of 4096×4096×8/));
});
