// The output-path check every writing command runs first, and the strict number parsing of flags.
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkOutputPaths } from '../../src/cli/outputs.js';
import { decimal, finite, integer, nonNegative, positive, unitInterval } from '../../src/cli/parse.js';
import { tempDir } from '../helpers/temp_dir.js';

const { dir, cleanup } = tempDir('outputs');
after(cleanup);
const at = (...parts: string[]) => join(dir, ...parts);
writeFileSync(at('scan.jpg'), 'pixels');
mkdirSync(at('folder'));
writeFileSync(at('a-file'), 'x');

test('an output that is an input is refused, however it is spelled (relative, .., symbolic or hard link)', () => {
  const input = [{ flag: '<image>', path: at('scan.jpg') }];
  symlinkSync(at('scan.jpg'), at('soft.jpg'));
  linkSync(at('scan.jpg'), at('hard.jpg'));
  for (const spelled of [at('scan.jpg'), at('folder', '..', 'scan.jpg'), at('soft.jpg'), at('hard.jpg')]) {
    assert.throws(() => checkOutputPaths([{ flag: '--out', path: spelled, kind: 'file' }], input), /--out .* is the input <image> .*scan\.jpg: refusing to overwrite it/, spelled);
  }
  checkOutputPaths([{ flag: '--out', path: at('mask.png'), kind: 'file' }], input);
});

test('two outputs naming one file are refused, naming both flags', () => {
  assert.throws(
    () =>
      checkOutputPaths([
        { flag: '--out', path: at('m.png'), kind: 'file' },
        { flag: '--overlay', path: at('folder', '..', 'm.png'), kind: 'file' },
      ]),
    /--out .*m\.png and --overlay .*m\.png are the same file/,
  );
});

test('a file output that is a folder, a folder output that is a file, and a file on the way are refused', () => {
  assert.throws(() => checkOutputPaths([{ flag: '--out', path: at('folder'), kind: 'file' }]), /--out .*folder is a folder; give the name of the file to write/);
  assert.throws(() => checkOutputPaths([{ flag: '--out', path: at('a-file'), kind: 'folder' }]), /--out .*a-file is a file; give a folder/);
  assert.throws(() => checkOutputPaths([{ flag: '--out', path: at('a-file', 'deeper', 'x.png'), kind: 'file' }]), /a-file is a file, not a folder/);
  checkOutputPaths([{ flag: '--out', path: at('new', 'deeper'), kind: 'folder' }]);
});

test('a folder the command replaces may not hold an input', () => {
  const out = { flag: '--out', path: dir, kind: 'folder' as const };
  checkOutputPaths([out], [{ flag: '--weights', path: at('scan.jpg') }]);
  assert.throws(() => checkOutputPaths([{ ...out, replaced: true }], [{ flag: '--weights', path: at('scan.jpg') }]), /would be replaced, and the input --weights .*scan\.jpg lies inside it/);
});

test('numbers on the command line are decimal literals: no hex, binary, blanks or Infinity', () => {
  assert.equal(decimal('16'), 16);
  assert.equal(decimal('-0.5'), -0.5);
  assert.equal(decimal('1e-4'), 1e-4);
  assert.equal(decimal('.5'), 0.5);
  for (const text of ['0x10', '0b11', '0o7', '', ' 7', '7 ', 'Infinity', 'NaN', '1,5', '--1']) assert.ok(Number.isNaN(decimal(text)), JSON.stringify(text));
  assert.throws(() => integer(1)('0x10'), /'0x10' is not an integer ≥ 1/);
  assert.throws(() => nonNegative(''), /'' is not a non-negative number/); // Number('') is 0
  assert.throws(() => positive('Infinity'), /'Infinity' is not a positive number/);
  assert.equal(positive('2.5'), 2.5);
  assert.equal(finite('-0.25'), -0.25);
  assert.throws(() => finite('low'), /'low' is not a number/);
  assert.equal(unitInterval('0.5'), 0.5);
  for (const text of ['', '0x1', '1.5', '-0.1']) assert.throws(() => unitInterval(text), /is not a number in \[0, 1\]/, JSON.stringify(text));
});
