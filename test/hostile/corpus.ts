// The hostile corpus: every broken or malicious input of issue 14, generated into a temp folder as
// small files (the bombs are a few hundred kilobytes that declare or inflate to hundreds of
// megabytes), each with the `ultrasam` command that must refuse it: exit code 1, a message naming
// the file and the field at fault, no output written, memory bounded.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, crc32, deflateRawSync, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { writeCoco } from '../../src/data/coco.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../../src/weights/safetensors.js';
import { niftiBytes } from '../data/formats/synthetic_writers.js';
import { DEFLATED_LE, RLE_LOSSLESS, buildDicom, encodeDataSet, pixelElements } from '../image/dicom_writer.js';
import { buildBmp } from '../image/bmp_writer.js';
import { PickleWriter, stateDictPickle, writeTensor } from '../weights/helpers/pickle_writer.js';
import { f32Bytes, torchZip, writeZip } from '../weights/helpers/zip_writer.js';
import { blackPng, crc32Repeated, deflateRepeated } from './bombs.js';

export interface HostileCase {
  /** Short name, also the test's. */
  name: string;
  /** What the file is and what it used to do, for the test's title. */
  what: string;
  args: string[];
  /** The message (stderr) must match: it names the file and the field or value at fault. */
  message: RegExp;
  /** Paths (relative to the corpus folder) that must not exist afterwards: the outputs it would have written. */
  absent: string[];
  /** Paths whose bytes must be unchanged afterwards: inputs an output must not overwrite. */
  unchanged?: string[];
}

const MiB = 1 << 20;
const BUNDLED = fileURLToPath(new URL('../../models/ultrasam-tiny.safetensors', import.meta.url));
const flush = { finishFlush: constants.Z_FULL_FLUSH };

/** `header` followed by `zeros` zero bytes, as one raw deflate stream, without ever holding the zeros. */
function deflatedWithZeros(header: Uint8Array, zeros: number): Uint8Array {
  return Buffer.concat([deflateRawSync(header, flush), deflateRepeated(0, zeros)]);
}

/** A gzip member of `header` then `zeros` zero bytes (CRC and size correct). */
function gzipWithZeros(header: Uint8Array, zeros: number): Uint8Array {
  const crc = Buffer.alloc(8);
  const chunk = Buffer.alloc(MiB);
  let value = crc32(header);
  for (let done = 0; done < zeros; done += MiB) value = crc32(chunk.subarray(0, Math.min(MiB, zeros - done)), value);
  crc.writeUInt32LE(value >>> 0, 0);
  crc.writeUInt32LE((header.length + zeros) % 2 ** 32, 4);
  return Buffer.concat([Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff), deflatedWithZeros(header, zeros), crc]);
}

/** A zip holding `archive/data.pkl` as the given deflate stream, declaring `declaredSize`. */
function pickleBombZip(stream: Uint8Array, declaredSize: number, crc: number): Uint8Array {
  return writeZip([{ name: 'archive/data.pkl', data: new Uint8Array(), deflated: { stream, declaredSize, crc } }]);
}

function pickleZip(pickle: Uint8Array): Uint8Array {
  return torchZip(pickle, { '0': f32Bytes([1]) });
}

/** A pickle that holds one good tensor and then names `module.name` by `how`. */
function payload(how: 'global' | 'stack_global', module: string, name: string): Uint8Array {
  const w = new PickleWriter()
    .proto(how === 'global' ? 2 : 4)
    .emptyDict()
    .mark()
    .str('ok');
  writeTensor(w, { storageKey: '0', storageNumel: 1, shape: [1] });
  w.str('payload');
  if (how === 'global') w.global(module, name);
  else w.stackGlobal(module, name);
  return w.mark().str('id').tuple().reduce().setItems().stop().finish();
}

function safetensorsWithHeader(header: object, dataBytes: number, declaredLength?: bigint): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(declaredLength ?? BigInt(json.length));
  return Buffer.concat([length, json, Buffer.alloc(dataBytes)]);
}

/** The OB element header (explicit VR little endian) of a private tag holding `length` bytes. */
function privateObHeader(length: number): Uint8Array {
  const element = Buffer.alloc(12);
  element.writeUInt16LE(0x0009, 0);
  element.writeUInt16LE(0x1000, 2);
  element.write('OB', 4, 'latin1');
  element.writeUInt32LE(length, 8);
  return element;
}

function metaImageHeader(fields: Record<string, string>): Buffer {
  const lines = Object.entries({ ObjectType: 'Image', BinaryData: 'True', BinaryDataByteOrderMSB: 'False', ...fields, ElementDataFile: 'LOCAL' });
  return Buffer.from(lines.map(([k, v]) => `${k} = ${v}`).join('\n') + '\n', 'latin1');
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Writes every hostile file under `dir` and returns the cases, in order. */
export async function buildHostileCorpus(dir: string): Promise<HostileCase[]> {
  const at = (...parts: string[]) => join(dir, ...parts);
  const write = (name: string, bytes: Uint8Array) => {
    mkdirSync(join(at(name), '..'), { recursive: true });
    writeFileSync(at(name), bytes);
  };
  const cases: HostileCase[] = [];
  // Each case writes (if it wrongly succeeds) to outputs of its own, so that one case's output cannot fail another.
  const own = (c: HostileCase, path: string) => (path === 'mask.png' || path === 'report' ? `${c.name}.${path}` : path);
  const add = (c: HostileCase) => cases.push({ ...c, args: c.args.map((a) => own(c, a)), absent: c.absent.map((p) => own(c, p)) });

  // A valid 64×48 scan for the cases whose weights, prompts or outputs are the hostile part.
  const pixels = Buffer.from(Array.from({ length: 64 * 48 }, (_, i) => (i * 13) % 251));
  writeFileSync(
    at('scan.png'),
    await sharp(pixels, { raw: { width: 64, height: 48, channels: 1 } })
      .png()
      .toBuffer(),
  );
  const segmentWith = (weights: string) => ['segment', 'scan.png', '--point', '20,20', '--weights', weights, '--out', 'mask.png'];

  // ---- checkpoints ---------------------------------------------------------------------------------
  const bomb = 400 * MiB;
  write('weights/bomb.pth', pickleBombZip(deflateRepeated(0x4e, bomb), bomb, crc32Repeated(0x4e, bomb)));
  add({
    name: 'pth-pickle-400MiB',
    what: 'a 415 KB .pth whose data.pkl is 400 MiB of NONE (was: 6 GB, heap exhausted, exit 134)',
    args: segmentWith('weights/bomb.pth'),
    message: /weights\/bomb\.pth: entry archive\/data\.pkl: declares 419,430,400 bytes, more than the 16,777,216 allowed for a checkpoint pickle/,
    absent: ['mask.png'],
  });
  write('weights/liar.pth', pickleBombZip(deflateRepeated(0x4e, bomb), 4096, 0));
  add({
    name: 'pth-lying-size',
    what: 'a data.pkl that declares 4 KB and inflates to 400 MiB (was: inflated whole, then refused)',
    args: segmentWith('weights/liar.pth'),
    message: /weights\/liar\.pth: entry archive\/data\.pkl: inflates to more than the 4,096 bytes it declares/,
    absent: ['mask.png'],
  });
  const dicts = Buffer.alloc(15 * MiB);
  for (let i = 0; i + 1 < dicts.length; i += 2) dicts.set([0x7d, 0x94], i); // EMPTY_DICT MEMOIZE
  dicts[dicts.length - 1] = 0x2e;
  write('weights/dicts.pth', writeZip([{ name: 'archive/data.pkl', data: dicts, deflate: true }]));
  add({
    name: 'pth-million-dicts',
    what: 'a 15 MiB pickle (under the size cap) building 7.8 M dicts kept alive in the memo (~1.7 GB of heap)',
    args: segmentWith('weights/dicts.pth'),
    message: /weights\/dicts\.pth: malformed pickle: the pickle builds more than 1,000,000 objects/,
    absent: ['mask.png'],
  });
  const refusedGlobals: [string, 'global' | 'stack_global', string, string][] = [
    ['pth-global-os-system', 'global', 'os', 'system'],
    ['pth-stack-global-eval', 'stack_global', 'builtins', 'eval'],
    ['pth-nested-module', 'global', 'torch.nn.modules.module', 'Module'],
    ['pth-nested-attribute', 'stack_global', 'collections', 'OrderedDict.__init__.__globals__'],
  ];
  for (const [name, how, module, global] of refusedGlobals) {
    write(`weights/${name}.pth`, pickleZip(payload(how, module, global)));
    add({
      name,
      what: `a pickle naming ${module}.${global} through ${how.toUpperCase()}`,
      args: segmentWith(`weights/${name}.pth`),
      message: new RegExp(`weights/${name}\\.pth: unsafe pickle: global '${`${module}.${global}`.replace(/[.]/g, '\\.')}' is not allowed`),
      absent: ['mask.png'],
    });
  }
  write(
    'weights/inst.pth',
    pickleZip(
      new PickleWriter()
        .proto(2)
        .mark()
        .str('id')
        .raw([0x69, ...Buffer.from('os\nsystem\n')])
        .stop()
        .finish(),
    ),
  );
  add({
    name: 'pth-inst',
    what: 'a pickle building os.system through INST',
    args: segmentWith('weights/inst.pth'),
    message: /weights\/inst\.pth: unsafe pickle: opcode INST is not allowed/,
    absent: ['mask.png'],
  });
  const small = torchZip(stateDictPickle([['w', { storageKey: '0', storageNumel: 4, shape: [4] }]]), { '0': f32Bytes([1, 2, 3, 4]) });
  write('weights/cut.pth', small.subarray(0, Math.floor(small.length / 2)));
  add({
    name: 'pth-truncated',
    what: 'a .pth cut in half',
    args: segmentWith('weights/cut.pth'),
    message: /weights\/cut\.pth: zip archive is truncated \(no end-of-central-directory record\)/,
    absent: ['mask.png'],
  });
  write('weights/huge-header.safetensors', safetensorsWithHeader({}, 0, 2n ** 60n));
  add({
    name: 'safetensors-header-2^60',
    what: 'a safetensors header length of 2^60',
    args: segmentWith('weights/huge-header.safetensors'),
    message: /weights\/huge-header\.safetensors: header length 1152921504606846976 exceeds the file/,
    absent: ['mask.png'],
  });
  write('weights/outside.safetensors', safetensorsWithHeader({ w: { dtype: 'F32', shape: [1024], data_offsets: [0, 4096] } }, 16));
  add({
    name: 'safetensors-offsets-outside',
    what: 'tensor offsets past the end of the file',
    args: segmentWith('weights/outside.safetensors'),
    message: /weights\/outside\.safetensors: tensor 'w': data_offsets \[0, 4096\] outside the data section \(16 bytes\)/,
    absent: ['mask.png'],
  });
  write('weights/overlap.safetensors', safetensorsWithHeader({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } }, 24));
  add({
    name: 'safetensors-overlap',
    what: 'two tensors sharing bytes',
    args: segmentWith('weights/overlap.safetensors'),
    message: /weights\/overlap\.safetensors: tensors 'a' and 'b' overlap in the data section/,
    absent: ['mask.png'],
  });
  const bundled = readSafetensorsFile(BUNDLED);
  (bundled.tensors.get('image_encoder.patch_embed.proj.weight')!.data as Float32Array)[7] = NaN;
  writeSafetensorsFile(at('weights/nan.safetensors'), bundled.tensors, { metadata: bundled.metadata });
  add({
    name: 'weights-nan',
    what: 'the bundled model with one NaN (was: segment died on an undefined score)',
    args: segmentWith('weights/nan.safetensors'),
    message: /weights\/nan\.safetensors: tensor image_encoder\.patch_embed\.proj\.weight holds 1 non-finite value\(s\) of 147,456 \(the first, NaN, at element 7\)/,
    absent: ['mask.png'],
  });

  // ---- images ----------------------------------------------------------------------------------------
  const segmentImage = (image: string) => ['segment', image, '--point', '5,5', '--out', 'mask.png'];
  write('images/bomb.png', blackPng(16000, 16000));
  add({
    name: 'png-16000²',
    what: 'a 253 KB PNG of 16000×16000 (was: 1.9 GB and 15 s)',
    args: segmentImage('images/bomb.png'),
    message: /images\/bomb\.png: PNG of 16000×16000 = 256,000,000 pixels is over the limit of 67,108,864/,
    absent: ['mask.png'],
  });
  const scan = readFileSync(at('scan.png'));
  write('images/cut.png', scan.subarray(0, Math.floor(scan.length / 2)));
  add({ name: 'png-truncated', what: 'a PNG cut in half', args: segmentImage('images/cut.png'), message: /images\/cut\.png: truncated or damaged PNG/, absent: ['mask.png'] });
  const jpeg = await sharp(pixels, { raw: { width: 64, height: 48, channels: 1 } })
    .jpeg()
    .toBuffer();
  write('images/cut.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  add({ name: 'jpeg-truncated', what: 'a JPEG cut in half', args: segmentImage('images/cut.jpg'), message: /images\/cut\.jpg: truncated or damaged JPEG/, absent: ['mask.png'] });
  const bmp = buildBmp({ width: 4, height: 2, bitsPerPixel: 24, pixels: new Array<number>(24).fill(0) });
  new DataView(bmp.buffer, bmp.byteOffset).setInt32(18, 9000, true);
  new DataView(bmp.buffer, bmp.byteOffset).setInt32(22, 8000, true);
  write('images/huge.bmp', bmp);
  add({
    name: 'bmp-9000x8000',
    what: 'a BMP header declaring 9000×8000',
    args: segmentImage('images/huge.bmp'),
    message: /images\/huge\.bmp: BMP of 9000×8000 = 72,000,000 pixels is over the limit/,
    absent: ['mask.png'],
  });
  write('images/wide.dcm', buildDicom(pixelElements({ rows: 65535, columns: 65535, photometric: 'MONOCHROME2', bitsAllocated: 8, pixels: new Uint8Array(64) })));
  add({
    name: 'dicom-65535²',
    what: 'a DICOM of 65535² pixels',
    args: segmentImage('images/wide.dcm'),
    message: /images\/wide\.dcm: DICOM frame \(Columns × Rows\) of 65535×65535 = 4,294,836,225 pixels/,
    absent: ['mask.png'],
  });
  const rle = new Uint8Array(66);
  new DataView(rle.buffer).setUint32(0, 1, true);
  new DataView(rle.buffer).setUint32(4, 64, true);
  rle.set([0x81, 0], 64);
  write('images/rle.dcm', buildDicom(pixelElements({ rows: 65535, columns: 65535, photometric: 'MONOCHROME2', bitsAllocated: 8, fragments: [rle] }), { transferSyntax: RLE_LOSSLESS }));
  add({
    name: 'dicom-rle-65535²',
    what: 'a 66-byte RLE fragment that would expand to 4 GB',
    args: segmentImage('images/rle.dcm'),
    message: /images\/rle\.dcm: DICOM frame \(Columns × Rows\) of 65535×65535/,
    absent: ['mask.png'],
  });
  write('images/frames.dcm', buildDicom(pixelElements({ rows: 8, columns: 8, photometric: 'MONOCHROME2', bitsAllocated: 8, frames: 100_000_000, pixels: new Uint8Array(64) })));
  add({
    name: 'dicom-10^8-frames',
    what: 'a DICOM declaring 10⁸ frames with one frame of data',
    args: segmentImage('images/frames.dcm'),
    message: /images\/frames\.dcm: DICOM pixel data is too short: 100000000 frame\(s\) of 8×8×1 at 8 bits need 6400000000 bytes/,
    absent: ['mask.png'],
  });
  const whole = buildDicom({
    ...pixelElements({ rows: 8, columns: 8, photometric: 'MONOCHROME2', bitsAllocated: 8, pixels: new Uint8Array(64) }),
    '0010,0010': { vr: 'LO', value: 'Anonymous^Patient^With^A^Long^Name' },
  });
  const nameAt = Buffer.from(whole).indexOf('Anonymous');
  write('images/cut.dcm', whole.subarray(0, nameAt + 4));
  add({
    name: 'dicom-cut-element',
    what: 'a DICOM that ends inside an element',
    args: segmentImage('images/cut.dcm'),
    message: /images\/cut\.dcm: truncated DICOM \(the data ends inside an element\)/,
    absent: ['mask.png'],
  });
  const head = encodeDataSet(pixelElements({ rows: 2, columns: 2, photometric: 'MONOCHROME2', bitsAllocated: 8, pixels: new Uint8Array(4) }), true);
  write('images/deflated.dcm', buildDicom({}, { transferSyntax: DEFLATED_LE, body: deflatedWithZeros(Buffer.concat([head, privateObHeader(600 * MiB)]), 600 * MiB) }));
  add({
    name: 'dicom-deflate-600MiB',
    what: 'a 600 KB deflated DICOM that inflates to 600 MiB',
    args: segmentImage('images/deflated.dcm'),
    message: /images\/deflated\.dcm: deflated DICOM data set inflates past 268,435,456 bytes/,
    absent: ['mask.png'],
  });

  // ---- prompts ---------------------------------------------------------------------------------------
  const prompt = (...p: string[]) => ['segment', 'scan.png', ...p, '--out', 'mask.png'];
  add({
    name: 'point-at-width',
    what: 'a point at x = width',
    args: prompt('--point', '64,10'),
    message: /point 0 \(64, 10\) lies outside the 64×48 image \(a point needs 0 ≤ x < 64 and 0 ≤ y < 48\)/,
    absent: ['mask.png'],
  });
  add({ name: 'zero-area-box', what: 'a box of zero width (was: a 29,851 px mask)', args: prompt('--box', '10,10,10,30'), message: /box \[10, 10, 10, 30\] has no area/, absent: ['mask.png'] });
  add({ name: 'hex-point', what: "a point '0x10,5' (was: read as 16)", args: prompt('--point', '0x10,5'), message: /--point '0x10,5' must be 2 or 3 comma-separated numbers/, absent: ['mask.png'] });

  // ---- outputs ---------------------------------------------------------------------------------------
  mkdirSync(at('a-folder'));
  writeFileSync(at('a-file'), 'not a folder');
  copyFileSync(BUNDLED, at('tiny.safetensors'));
  add({
    name: 'out-is-input',
    what: 'segment scan.png --out scan.png (was: the scan replaced by its mask)',
    args: ['segment', 'scan.png', '--point', '5,5', '--out', 'scan.png'],
    message: /--out scan\.png is the input <image> scan\.png: refusing to overwrite it/,
    absent: [],
    unchanged: ['scan.png'],
  });
  add({
    name: 'overlay-is-mask',
    what: '--out m.png --overlay m.png (was: the overlay written where the mask was announced)',
    args: ['segment', 'scan.png', '--point', '5,5', '--out', 'm.png', '--overlay', 'm.png'],
    message: /--out m\.png and --overlay m\.png are the same file/,
    absent: ['m.png'],
  });
  add({
    name: 'out-is-folder',
    what: '--out <folder> (was: EISDIR naming a temporary file)',
    args: ['segment', 'scan.png', '--point', '5,5', '--out', 'a-folder'],
    message: /--out a-folder is a folder; give the name of the file to write/,
    absent: [],
  });
  add({
    name: 'out-under-file',
    what: '--out <file>/x.png',
    args: ['segment', 'scan.png', '--point', '5,5', '--out', 'a-file/x.png'],
    message: /--out a-file\/x\.png: .*a-file is a file, not a folder/,
    absent: [],
  });
  add({
    name: 'convert-weights-onto-input',
    what: 'convert-weights x x',
    args: ['convert-weights', 'tiny.safetensors', 'tiny.safetensors'],
    message: /<out> tiny\.safetensors is the input <in> tiny\.safetensors/,
    absent: [],
    unchanged: ['tiny.safetensors'],
  });
  add({
    name: 'eval-out-is-file',
    what: 'eval --out <file> (was: EEXIST from mkdir)',
    args: ['eval', '--coco', 'eval/neg.coco.json', '--prompt', 'box', '--out', 'a-file'],
    message: /--out a-file is a file; give a folder/,
    absent: [],
  });
  add({
    name: 'train-out-is-file',
    what: 'train --out <file> (was: EEXIST from mkdir)',
    args: ['train', '--data', 'eval/good.coco.json', '--init', 'scratch', '--steps', '1', '--out', 'a-file'],
    message: /--out .*a-file is a file; give a folder/,
    absent: [],
  });
  add({
    name: 'train-resume-empty',
    what: 'train --resume on an empty folder (was: ENOENT)',
    args: ['train', '--resume', '--out', 'a-folder'],
    message: /--resume: no training state in .*a-folder \(state\.safetensors is missing\): nothing to resume/,
    absent: ['a-folder/log.jsonl'],
  });

  // ---- ground truth ------------------------------------------------------------------------------------
  const gt = (name: string, segmentation: unknown, area: number) =>
    writeCoco(at('eval', `${name}.coco.json`), {
      info: {},
      images: [{ id: 1, file_name: '../scan.png', width: 64, height: 48 }],
      categories: [{ id: 1, name: 'nodule', supercategory: 'nodule' }],
      annotations: [{ id: 7, image_id: 1, category_id: 1, iscrowd: 0, segmentation: segmentation as never, area, bbox: [10, 10, 20, 20] }],
    });
  mkdirSync(at('eval'));
  await gt('neg', { size: [48, 64], counts: [-5, 3077] }, 3072);
  await gt('frac', { size: [48, 64], counts: [100.5, 200, 2771.5] }, 200);
  await gt('line', [[10, 10, 50, 40]], 1600);
  const evaluate = (file: string, ...more: string[]) => ['eval', '--coco', `eval/${file}.coco.json`, '--prompt', 'box', '--out', 'report', ...more];
  add({
    name: 'gt-negative-run',
    what: 'RLE counts [-5, 3077] (was: the whole image, scored)',
    args: evaluate('neg'),
    message: /eval\/neg\.coco\.json: annotation 7 \(image 1, \.\.\/scan\.png\): RLE run 0 is -5/,
    absent: ['report'],
  });
  add({
    name: 'gt-fractional-runs',
    what: 'fractional RLE counts',
    args: evaluate('frac'),
    message: /eval\/frac\.coco\.json: annotation 7 \(image 1, \.\.\/scan\.png\): RLE run 0 is 100\.5/,
    absent: ['report'],
  });
  add({
    name: 'gt-two-point-polygon',
    what: 'a polygon of two points with area 1600 (was: scored against a line)',
    args: evaluate('line'),
    message: /eval\/line\.coco\.json: annotation 7 .*polygon 0 has 2 point\(s\); a polygon needs at least 3/,
    absent: ['report'],
  });
  await gt('good', [[10, 10, 40, 10, 40, 30, 10, 30]], 600);
  add({
    name: 'eval-nan-weights',
    what: 'eval with NaN weights (was: exit 0, Dice 0)',
    args: evaluate('good', '--weights', 'weights/nan.safetensors'),
    message: /weights\/nan\.safetensors: tensor image_encoder\.patch_embed\.proj\.weight holds 1 non-finite/,
    absent: ['report'],
  });

  // ---- raw data ------------------------------------------------------------------------------------------
  for (const i of [1, 2, 3]) write(`raw-ddti/DDTI/${i}_1.a.jpg`, jpeg);
  add({
    name: 'convert-no-masks',
    what: 'DDTI images without masks (was: exit 0, DONE.json with 0 images, verify ok)',
    args: ['data', 'convert', 'DDTI', 'raw-ddti', 'corpus-ddti'],
    message: /DDTI: conversion failed, nothing written: no image was converted from .*raw-ddti/,
    absent: ['corpus-ddti'],
  });
  // regPro reads NIfTI volumes whole; PSFHS reads MetaImages whole.
  write('raw-nifti-short/train/us_images/c1.nii', niftiBytes({ dims: [64, 64, 10], type: 'uint8', values: new Uint8Array(100) }).subarray(0, 452));
  write('raw-nifti-short/train/us_labels/c1.nii', niftiBytes({ dims: [64, 64, 10, 6], type: 'uint8', values: new Uint8Array(64 * 64 * 60) }));
  add({
    name: 'nifti-sizes-past-file',
    what: 'a NIfTI whose dims need 40,960 bytes, holding 100',
    args: ['data', 'convert', 'regPro', 'raw-nifti-short', 'corpus-nifti-short'],
    message: /regPro: conversion failed, nothing written: no image was converted .*train\/us_images\/c1\.nii: .*expected 40960 bytes/,
    absent: ['corpus-nifti-short'],
  });
  const niftiHeader = niftiBytes({ dims: [30000, 30000], type: 'uint8', values: [] });
  write('raw-nifti-bomb/train/us_images/c1.nii.gz', gzipWithZeros(niftiHeader, 30000 * 30000));
  write('raw-nifti-bomb/train/us_labels/c1.nii.gz', gzipWithZeros(niftiHeader, 30000 * 30000));
  add({
    name: 'nifti-gzip-900MB',
    what: 'a 900 KB .nii.gz of 30000×30000 voxels (was: read whole into memory)',
    args: ['data', 'convert', 'regPro', 'raw-nifti-bomb', 'corpus-nifti-bomb'],
    message: /train\/us_images\/c1\.nii\.gz: .*NIfTI frame \(dim\[1\] × dim\[2\]\) of 30000×30000 = 900,000,000 pixels/,
    absent: ['corpus-nifti-bomb'],
  });
  const mhaShort = metaImageHeader({ NDims: '3', DimSize: '256 256 3', ElementType: 'MET_UCHAR' });
  write('raw-mha-short/image_mha/1.mha', Buffer.concat([mhaShort, Buffer.alloc(10)]));
  write('raw-mha-short/label_mha/1.mha', Buffer.concat([metaImageHeader({ NDims: '2', DimSize: '256 256', ElementType: 'MET_UCHAR' }), Buffer.alloc(256 * 256)]));
  add({
    name: 'mha-sizes-past-file',
    what: 'a MetaImage whose DimSize needs 196,608 bytes, holding 10',
    args: ['data', 'convert', 'PSFHS', 'raw-mha-short', 'corpus-mha-short'],
    message: /PSFHS: conversion failed, nothing written: no image was converted .*image_mha\/1\.mha: .*expected 196608 bytes/,
    absent: ['corpus-mha-short'],
  });
  const zlibZeros = (n: number) => {
    const adler = Buffer.alloc(4);
    adler.writeUInt32BE((((n % 65521) << 16) | 1) >>> 0);
    return Buffer.concat([Uint8Array.of(0x78, 0xda), deflateRepeated(0, n), adler]);
  };
  const bombHeader = metaImageHeader({ NDims: '2', DimSize: '30000 30000', ElementType: 'MET_UCHAR', CompressedData: 'True' });
  write('raw-mha-bomb/image_mha/1.mha', Buffer.concat([bombHeader, zlibZeros(30000 * 30000)]));
  write('raw-mha-bomb/label_mha/1.mha', Buffer.concat([bombHeader, deflateSync(Buffer.alloc(16))]));
  add({
    name: 'mha-zlib-900MB',
    what: 'a 900 KB compressed MetaImage of 30000×30000 (was: inflated whole)',
    args: ['data', 'convert', 'PSFHS', 'raw-mha-bomb', 'corpus-mha-bomb'],
    message: /image_mha\/1\.mha: .*MetaImage frame \(DimSize x × y\) of 30000×30000 = 900,000,000 pixels/,
    absent: ['corpus-mha-bomb'],
  });
  return cases;
}
