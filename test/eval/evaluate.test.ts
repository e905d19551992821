// The evaluation loop end to end with fake predictors of known answers on a synthetic COCO corpus.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { evaluate } from '../../src/eval/evaluate.js';
import { summarize } from '../../src/eval/summary.js';
import { ClickFake, ShiftFake, writeSyntheticCorpus, type SyntheticImage } from './helpers.js';
import { tempDir } from '../helpers/temp_dir.js';

const close = (a: number | null | undefined, b: number, what: string) => assert.ok(typeof a === 'number' && Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

// Dataset A: two 'lesion' rectangles 10 wide (a one-pixel shift gives Dice 9/10, IoU 9/11) and a
// crowd region; dataset B: one 'vessel' rectangle 5 wide (Dice 4/5, IoU 4/6), an empty annotation,
// and an image without annotations.
const IMAGES: SyntheticImage[] = [
  {
    name: 'A__1.png',
    width: 40,
    height: 30,
    instances: [
      { rect: [2, 3, 10, 6], category: 1 },
      { rect: [20, 10, 10, 4], category: 1 },
      { rect: [30, 25, 3, 2], category: 1, crowd: true },
    ],
  },
  {
    name: 'B__1.png',
    width: 32,
    height: 32,
    dataset: 'B',
    instances: [
      { rect: [5, 5, 5, 8], category: 2 },
      { rect: [0, 0, 0, 0], category: 2 },
    ],
  },
  { name: 'B__2.png', width: 16, height: 16, dataset: 'B', instances: [] },
];
const CATEGORIES = [
  { id: 1, name: 'lesion' },
  { id: 2, name: 'vessel' },
];

test('box prompts with a one-pixel-shift predictor: Dice, IoU, AP and the tables are the computed ones', async () => {
  const { dir, cleanup } = tempDir('box');
  try {
    const corpus = await writeSyntheticCorpus(dir, IMAGES, CATEGORIES);
    const fake = new ShiftFake(corpus.rects);
    const result = await evaluate(fake, { coco: corpus.cocoPath, prompt: { kind: 'box' } });
    // Through JSON, as `ultrasam eval --json` prints it.
    const json = JSON.parse(JSON.stringify(summarize(result, 'fake')));
    assert.equal(json.n_instances, 3);
    assert.equal(json.n_images, 2);
    assert.deepEqual(json.skipped, { imagesWithoutInstances: 1, imagesBeyondLimit: 0, crowdAnnotations: 1, emptyMasks: 1 });
    close(json.dice_mean, (0.9 + 0.9 + 0.8) / 3, 'dice_mean');
    close(json.dice_median, 0.9, 'dice_median');
    close(json.iou_mean, (9 / 11 + 9 / 11 + 4 / 6) / 3, 'iou_mean');
    // Dataset from the file-name prefix for A, from the image field for B.
    assert.deepEqual(Object.keys(json.per_dataset), ['A', 'B']);
    close(json.per_dataset.A.dice_mean, 0.9, 'A dice');
    close(json.per_dataset.B.iou_median, 4 / 6, 'B iou');
    assert.equal(json.per_category.lesion.n, 2);
    close(json.per_category.vessel.dice_mean, 0.8, 'vessel dice');
    // AP: lesion IoU 9/11 is a hit for t ≤ .80 (7 of 10 thresholds) → 0.7; vessel IoU 2/3 for t ≤ .65 → 0.4.
    close(json.ap.AP, (0.7 + 0.4) / 2, 'AP');
    close(json.ap.AP50, 1, 'AP50');
    close(json.ap.AP75, 0.5, 'AP75');
    close(json.ap.APs, 0.55, 'APs'); // every object is small (< 32²)
    assert.equal(json.ap.APm, null);
    close(json.per_dataset.A.ap.AP, 0.7, 'A AP');
    close(json.per_category.vessel.ap.AP, 0.4, 'vessel AP');
    // One embedding per image, all instances of an image in one decoder call.
    assert.deepEqual(fake.setImages, [join(dir, 'images', 'A__1.png'), join(dir, 'images', 'B__1.png')]);
    assert.deepEqual(
      fake.batches.map((b) => b.length),
      [2, 1],
    );
    assert.deepEqual(result.instances[0].prompt, { box: [2, 3, 12, 9] });
  } finally {
    cleanup();
  }
});

test('point prompts: the centroid, the best-scored of three outputs, --multimask never/always', async () => {
  const { dir, cleanup } = tempDir('point');
  try {
    const corpus = await writeSyntheticCorpus(dir, IMAGES, CATEGORIES);
    const fake = new ShiftFake(corpus.rects);
    const result = await evaluate(fake, { coco: corpus.cocoPath, prompt: { kind: 'point' } });
    assert.deepEqual(result.instances[0].prompt, { points: [[6.5, 5.5]], labels: [1] }); // columns 2..11, rows 3..8
    assert.equal(fake.batches[0][0].multimask, undefined); // auto: the predictor's default (three outputs for a lone point)
    const s = summarize(result);
    close(s.dice_mean, (0.9 + 0.9 + 0.8) / 3, 'dice_mean'); // the empty and whole-image outputs were not chosen
    assert.ok(result.instances.every((i) => Math.abs(i.score - 0.9) < 1e-6));
    assert.equal(s.centroid_outside_mask, 0);
    for (const mode of ['never', 'always'] as const) {
      const f = new ShiftFake(corpus.rects);
      const r = await evaluate(f, { coco: corpus.cocoPath, prompt: { kind: 'point' }, multimask: mode, limit: 1 });
      assert.equal(f.batches[0][0].multimask, mode === 'always');
      close(summarize(r).dice_mean, 0.9, `dice with multimask ${mode}`);
      assert.equal(r.skipped.imagesBeyondLimit, 1);
      assert.equal(r.images, 1);
    }
  } finally {
    cleanup();
  }
});

test('box-jitter is seeded: same seed, same boxes; another seed, other boxes', async () => {
  const { dir, cleanup } = tempDir('jitter');
  try {
    const corpus = await writeSyntheticCorpus(dir, IMAGES, CATEGORIES);
    const run = async (seed: number) =>
      (await evaluate(new ShiftFake(corpus.rects), { coco: corpus.cocoPath, prompt: { kind: 'box-jitter', fraction: 0.05 }, seed })).instances.map((i) => i.prompt.box);
    const a = await run(1);
    assert.deepEqual(await run(1), a);
    assert.notDeepEqual(await run(2), a);
    assert.ok(
      a.every((box, i) =>
        box!.some(
          (v, k) =>
            v !==
            [
              [2, 3, 12, 9],
              [20, 10, 30, 14],
              [5, 5, 10, 13],
            ][i][k],
        ),
      ),
    );
  } finally {
    cleanup();
  }
});

test('clicks:3: first click inside, a positive click in the missed half with the previous logits, then no more', async () => {
  const { dir, cleanup } = tempDir('clicks');
  try {
    const corpus = await writeSyntheticCorpus(dir, [{ name: 'C__1.png', width: 20, height: 12, instances: [{ rect: [2, 3, 10, 6], category: 1 }] }], CATEGORIES);
    const fake = new ClickFake(corpus.rects);
    const result = await evaluate(fake, { coco: corpus.cocoPath, prompt: { kind: 'clicks', clicks: 3 } });
    const [inst] = result.instances;
    assert.deepEqual(inst.clickIous, [0.5, 1, 1]);
    assert.deepEqual(inst.clicks, [
      [4, 5, 1],
      [9, 5, 1],
    ]);
    assert.equal(fake.batches.length, 2); // a perfect mask gets no third click
    const s = summarize(result);
    assert.deepEqual(s.clicks, { clicks: 3, mean_iou_per_click: [0.5, 1, 1], mean_dice_per_click: [2 / 3, 1, 1], noc85: 2, noc90: 2, nof85: 0, nof90: 0 });
    assert.equal(s.dice_mean, 1);
    assert.deepEqual(s.per_dataset.C.clicks?.noc90, 2);
  } finally {
    cleanup();
  }
});

test('images are found under --images by file_name or base name; a missing one is named', async () => {
  const { dir, cleanup } = tempDir('paths');
  try {
    const corpus = await writeSyntheticCorpus(dir, IMAGES.slice(0, 1), CATEGORIES);
    const result = await evaluate(new ShiftFake(corpus.rects), { coco: corpus.cocoPath, imagesDir: join(dir, 'images'), prompt: { kind: 'box' } });
    assert.equal(result.instances.length, 2);
    await assert.rejects(evaluate(new ShiftFake(corpus.rects), { coco: corpus.cocoPath, imagesDir: join(dir, 'nowhere'), prompt: { kind: 'box' } }), /image 1: file_name 'images\/A__1.png' not found/);
    const empty = { file: { ...corpus.coco, annotations: [] }, path: corpus.cocoPath };
    await assert.rejects(evaluate(new ShiftFake(corpus.rects), { coco: empty, prompt: { kind: 'box' } }), /no image has an instance to evaluate/);
  } finally {
    cleanup();
  }
});

test('a malformed ground truth stops the evaluation before any image is run, naming the file and the annotation', async () => {
  const { dir, cleanup } = tempDir('bad-gt');
  try {
    const corpus = await writeSyntheticCorpus(dir, IMAGES, CATEGORIES);
    // Image B__1 (32×32 = 1024 pixels): a negative first run that still adds up to the image.
    corpus.coco.annotations[3].segmentation = { size: [32, 32], counts: [-5, 1029] } as unknown as (typeof corpus.coco.annotations)[3]['segmentation'];
    const fake = new ShiftFake(corpus.rects);
    await assert.rejects(
      evaluate(fake, { coco: { path: corpus.cocoPath, file: corpus.coco }, prompt: { kind: 'box' } }),
      /test\.coco\.json: annotation 4 \(image 2, images\/B__1\.png\): RLE run 0 is -5/,
    );
    assert.deepEqual(fake.setImages, [], 'nothing was scored');
  } finally {
    cleanup();
  }
});

test('refine: every prompt is sent with refine, the summary and report say so; clicks refuse it', async () => {
  const { dir, cleanup } = tempDir('refine');
  try {
    const corpus = await writeSyntheticCorpus(dir, IMAGES, CATEGORIES);
    const fake = new ShiftFake(corpus.rects);
    const result = await evaluate(fake, { coco: corpus.cocoPath, prompt: { kind: 'box' }, refine: true });
    assert.ok(fake.batches.flat().every((input) => input.refine === true));
    const summary = summarize(result, 'fake');
    assert.equal(summary.refine, true);
    const plain = summarize(await evaluate(new ShiftFake(corpus.rects), { coco: corpus.cocoPath, prompt: { kind: 'box' } }), 'fake');
    assert.equal(plain.refine, false);
    const { reportMarkdown } = await import('../../src/eval/report.js');
    assert.match(reportMarkdown(summary, { best: [], worst: [] }), /refinement: \*\*on\*\*/);
    assert.match(reportMarkdown(plain, { best: [], worst: [] }), /refinement: off/);
    await assert.rejects(evaluate(new ClickFake(corpus.rects), { coco: corpus.cocoPath, prompt: { kind: 'clicks', clicks: 2 }, refine: true }), /refine applies to the single-prompt protocols/);
  } finally {
    cleanup();
  }
});
