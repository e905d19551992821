// Browser app benchmark: `npm run bench:app -- [--json] [--image FILE] [--box x0,y0,x1,y1] [--repeats N] [--clicks N] [--vitb]`.
// Serves the built app with the bundled ultrasam-tiny (or, with --vitb, SAM ViT-B with random
// weights: speed does not depend on their values), opens a real ultrasound image in headless
// Chromium (WASM, the page's own thread count), draws a box, and reports the time from opening the
// image to the first mask (the page's own measure and the image encoder's share); then clicks
// --clicks positive points inside the box, one after the other, and reports the decoder time per
// click as the page's worker measures it. Saves the last run's screenshot as docs/app.png (not with
// --vitb). Needs `npm run build:web` and Debian's Chromium.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { ensureExportedModel } from '../src/app/model_cache.js';
import { builtWebDir, ortWasmDir } from '../src/app/paths.js';
import { startAppServer } from '../src/app/server.js';
import { readImage } from '../src/image/read.js';
import { samConfig } from '../src/model/config.js';
import { CONFIG_METADATA_KEY } from '../src/model/predictor.js';
import { parameterShapes } from '../src/model/sam.js';
import { saveSamWeights } from '../src/weights/checkpoint.js';
import { CHROMIUM, CHROMIUM_ARGS, dragBox, screenOf } from './browser.js';
import { randomValues } from './random_weights.js';
import { benchArgs, median, report } from './util.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const { json, text, has, repeats: runs } = benchArgs(3);
const vitb = has('--vitb');
const clicks = Number(text('--clicks', '5'));
// The README's example: a DDTI thyroid image and a box around its nodule.
const image = text('--image', join(ROOT, '..', 'shared', 'data', 'ultrasound', 'ddti', 'DDTI', '1_1.a.jpg'));
const box = text('--box', '160,40,330,200').split(',').map(Number) as [number, number, number, number];
if (box.length !== 4 || box.some((v) => !Number.isFinite(v))) throw new Error(`--box needs x0,y0,x1,y1, got '${text('--box', '')}'`);
if (!Number.isInteger(clicks) || clicks < 0) throw new Error(`--clicks needs a whole number ≥ 0, got '${text('--clicks', '')}'`);
if (!existsSync(image)) throw new Error(`image not found: ${image} (give one with --image)`);
if (!existsSync(join(builtWebDir(), 'index.html'))) throw new Error('the web app is not built: run `npm run build:web` first');
if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
// ViT-B in WASM takes tens of seconds per image (minutes on a loaded machine).
const timeout = vitb ? 1_800_000 : 180_000;

const { width, height } = await readImage(image);
const work = mkdtempSync(join(tmpdir(), 'ultrasam-bench-app-'));
let weights: string | undefined;
if (vitb) {
  const config = samConfig('vit_b');
  const shapes = parameterShapes(config);
  const tensors = new Map([...randomValues(config, 1)].map(([key, data]) => [key, { dtype: 'float32' as const, shape: shapes.get(key)!, data }]));
  weights = join(work, 'vit_b_random.safetensors');
  saveSamWeights(weights, { layout: 'sam', tensors }, { metadata: { [CONFIG_METADATA_KEY]: JSON.stringify(config) } });
}
const modelDir = await ensureExportedModel({ weights, cacheDir: join(work, 'cache') });
const server = await startAppServer({ webDir: builtWebDir(), modelDir, ortDir: ortWasmDir(), port: 0 });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
const firstMask: number[] = [];
const encoder: number[] = [];
const clickMs: number[] = [];
let modelInfo = '';
try {
  for (let r = 0; r < runs; r++) {
    // A fresh page each run: nothing cached in the page (the browser keeps its HTTP cache).
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(server.url);
    await page.locator('body[data-model="ready"]').waitFor({ state: 'attached', timeout });
    modelInfo = (await page.locator('#model-info').textContent()) ?? '';
    await page.setInputFiles('#file-input', image);
    await page.locator('#drop-hint').waitFor({ state: 'hidden', timeout });
    await dragBox(page, box, { width, height });
    await page.locator('body[data-first-mask-ms]').waitFor({ state: 'attached', timeout });
    firstMask.push(Number(await page.locator('body').getAttribute('data-first-mask-ms')));
    encoder.push(Number(await page.locator('body').getAttribute('data-encode-ms')));
    // Clicks inside the box, each waiting for its mask: the box plus 1, 2, … positive points.
    for (let c = 0; c < clicks; c++) {
      const decodes = Number(await page.locator('body').getAttribute('data-decodes'));
      const t = (c + 1) / (clicks + 1);
      const [x, y] = await screenOf(page, [box[0] + t * (box[2] - box[0]), box[1] + (1 - t) * (box[3] - box[1])], { width, height });
      await page.mouse.click(x, y);
      await page.locator(`body[data-decodes="${decodes + 1}"]`).waitFor({ state: 'attached', timeout });
      clickMs.push(Number(await page.locator('body').getAttribute('data-decode-ms')));
    }
    if (r === runs - 1 && !vitb) await page.screenshot({ path: join(ROOT, 'docs', 'app.png') });
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
const prefix = vitb ? 'app_vitb_' : '';
report(
  {
    model: modelInfo.trim(),
    image,
    runs,
    [`${prefix}first_mask_ms`]: median(firstMask),
    [`${prefix}first_mask_ms_all`]: firstMask.join(' '),
    [`${prefix}image_encoder_ms`]: median(encoder),
    [`${prefix}click_ms`]: clicks ? median(clickMs) : null,
    [`${prefix}click_ms_all`]: clickMs.join(' '),
    ...(vitb ? {} : { screenshot: 'docs/app.png' }),
  },
  json,
);
