// The report folder: report.json (the summary), report.md (tables), instances.jsonl and overlays.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { evaluate } from '../../src/eval/evaluate.js';
import { GT_COLOUR, PRED_COLOUR } from '../../src/eval/overlays.js';
import { markdownTable, writeReport } from '../../src/eval/report.js';
import { summarize } from '../../src/eval/summary.js';
import { readImage } from '../../src/image/read.js';
import { ShiftFake, writeSyntheticCorpus } from './helpers.js';
import { tempDir } from '../helpers/temp_dir.js';

test('the report holds the summary, the tables, one line per instance and the best/worst overlays', async () => {
  const { dir, cleanup } = tempDir('report');
  try {
    const corpus = await writeSyntheticCorpus(
      dir,
      [
        { name: 'A__1.png', width: 40, height: 30, instances: [{ rect: [2, 3, 10, 6], category: 1 }] },
        { name: 'B__1.png', width: 32, height: 32, instances: [{ rect: [5, 5, 5, 8], category: 2 }] },
      ],
      [
        { id: 1, name: 'lesion' },
        { id: 2, name: 'vessel' },
      ],
    );
    const result = await evaluate(new ShiftFake(corpus.rects), { coco: corpus.cocoPath, prompt: { kind: 'point' } });
    const summary = summarize(result, 'fake.safetensors');
    const out = join(dir, 'report');
    const files = await writeReport(result, summary, out, { overlays: 1, command: 'ultrasam eval --prompt point' });
    const json = JSON.parse(await readFile(files.json, 'utf8'));
    assert.equal(json.n_instances, 2);
    assert.equal(json.weights, 'fake.safetensors');
    assert.equal(json.best[0].annotation_id, 1); // Dice 0.9 (10 wide) beats 0.8 (5 wide)
    assert.equal(json.worst[0].annotation_id, 2);
    const md = await readFile(files.markdown, 'utf8');
    assert.match(md, /\| A \| 1 \| 0\.9000 \| 0\.9000 \| 0\.8182 \|/);
    assert.match(md, /\| vessel \| 1 \| 0\.8000 \|/);
    assert.match(md, /ultrasam eval --prompt point/);
    assert.match(md, /!\[\]\(overlays\/worst-01-ann2\.png\)/);
    const lines = (await readFile(files.instances, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => [l.annotationId, l.dataset, l.category]),
      [
        [1, 'A', 'lesion'],
        [2, 'B', 'vessel'],
      ],
    );
    // The overlay: ground truth only at column 2 (green contour), prediction only at column 12 (red), the centroid marked.
    assert.deepEqual(
      files.overlays.map((f) => f.slice(out.length + 1)),
      ['overlays/best-01-ann1.png', 'overlays/worst-01-ann2.png'],
    );
    const png = await readImage(join(out, 'overlays/best-01-ann1.png'));
    const px = (x: number, y: number) => [...png.data.slice((y * png.width + x) * 3, (y * png.width + x) * 3 + 3)];
    assert.deepEqual([png.width, png.height, png.channels], [40, 30, 3]);
    assert.deepEqual(px(2, 4), GT_COLOUR);
    assert.deepEqual(px(12, 4), PRED_COLOUR);
    assert.deepEqual(px(7, 6), [255, 230, 0]); // centroid (6.5, 5.5) → pixel (7, 6), yellow
    assert.ok(existsSync(join(out, 'overlays/worst-01-ann2.png')));
  } finally {
    cleanup();
  }
});

test('markdown tables escape pipes', () => {
  assert.equal(markdownTable(['a', 'b'], [['x|y', 1]]), '| a | b |\n| --- | --- |\n| x\\|y | 1 |');
});
