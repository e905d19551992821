// What the app accepts: formats by their first bytes, and a size limit with a clear message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PIXELS, declaredSize, sizeProblem, sniffFormat } from '../../web/src/image_format.js';

test('formats are recognised by content, not by name', () => {
  assert.equal(sniffFormat(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])), 'png');
  assert.equal(sniffFormat(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0])), 'jpeg');
  const dicom = new Uint8Array(140);
  dicom.set([0x44, 0x49, 0x43, 0x4d], 128);
  assert.equal(sniffFormat(dicom), 'dicom');
  assert.equal(sniffFormat(new TextEncoder().encode('GIF89a....')), undefined);
  assert.equal(sniffFormat(new Uint8Array(0)), undefined);
  assert.equal(sniffFormat(Uint8Array.from([0x89, 0x50, 0x4e])), undefined, 'a cut signature is not a PNG');
});

test('images over the limit are refused with their size in the message', () => {
  assert.equal(sizeProblem('a.png', 4000, 3000), undefined);
  assert.equal(sizeProblem('a.png', MAX_PIXELS, 1), undefined);
  const message = sizeProblem('huge.png', 20000, 20000);
  assert.match(message!, /^huge\.png: the image is 20000×20000 \(400 MP\), too large for the browser's memory/);
});

test('PNG and JPEG headers give the size before decoding', () => {
  const png = new Uint8Array(33);
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(png.buffer).setUint32(16, 30000);
  new DataView(png.buffer).setUint32(20, 20000);
  assert.deepEqual(declaredSize(png, 'png'), { width: 30000, height: 20000 });
  assert.equal(declaredSize(png.subarray(0, 20), 'png'), undefined);
  // SOI, an APP0 segment of 16 bytes, then SOF0: length 17, precision 8, height 480, width 640.
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, ...new Array(14).fill(0), 0xff, 0xc0, 0, 17, 8, 0x01, 0xe0, 0x02, 0x80, 3]);
  assert.deepEqual(declaredSize(jpeg, 'jpeg'), { width: 640, height: 480 });
  // A Huffman table (C4) before the frame header is skipped, not taken for one.
  const withDht = Uint8Array.from([0xff, 0xd8, 0xff, 0xc4, 0, 4, 0, 0, 0xff, 0xc2, 0, 17, 8, 0, 10, 0, 20, 1]);
  assert.deepEqual(declaredSize(withDht, 'jpeg'), { width: 20, height: 10 });
  assert.equal(declaredSize(Uint8Array.from([0xff, 0xd8, 0xff, 0xda, 0, 2]), 'jpeg'), undefined);
});
