import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extractRar, findRarExtractor } from '../../../src/data/formats/rar.js';
import { MissingToolError } from '../../../src/data/formats/system_tool.js';
import { rarBytes } from './synthetic_writers.js';
import { tempDir } from '../../helpers/temp_dir.js';

const extractor = await findRarExtractor();

test('without any RAR tool the error lists the tools, the install command and the dataset', async () => {
  const { dir, cleanup } = tempDir('norar');
  try {
    await assert.rejects(extractRar(join(dir, 'AC_mask.rar'), join(dir, 'out'), 'Fast-U-Net', { searchPath: [dir] }), (error: unknown) => {
      assert.ok(error instanceof MissingToolError);
      assert.match(error.message, /no RAR extractor found \(looked for unrar, unar, 7z, 7zz, bsdtar\): install one \(apt-get install unar\) to convert Fast-U-Net/);
      return true;
    });
  } finally {
    cleanup();
  }
});

test('extracts a stored RAR 4 archive with folders', { skip: !extractor && 'no unrar, unar, 7z or bsdtar installed' }, async () => {
  const { dir, cleanup } = tempDir('rar');
  try {
    const archive = join(dir, 'a.rar');
    await writeFile(
      archive,
      rarBytes([
        { name: 'AC_mask/001.png', data: Buffer.from('first file') },
        { name: 'readme.txt', data: Buffer.from('second') },
      ]),
    );
    const used = await extractRar(archive, join(dir, 'out'), 'test');
    assert.equal(used, extractor!.program);
    assert.equal(await readFile(join(dir, 'out', 'AC_mask', '001.png'), 'utf8'), 'first file');
    assert.equal(await readFile(join(dir, 'out', 'readme.txt'), 'utf8'), 'second');

    await writeFile(join(dir, 'broken.rar'), 'Rar!\x1a\x07\x00garbage');
    await assert.rejects(extractRar(join(dir, 'broken.rar'), join(dir, 'out2'), 'test'), /cannot extract .*broken\.rar/);
  } finally {
    cleanup();
  }
});
