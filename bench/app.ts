// Browser app benchmark: `npm run bench:app -- [--json] [--image FILE] [--box x0,y0,x1,y1] [--repeats N]`.
// Serves the built app with the bundled ultrasam-tiny, opens a real ultrasound image in headless
// Chromium (WASM, the page's own thread count), draws a box, and reports the time from opening the
// image to the first mask (the page's own measure and the image encoder's share). Saves the last
// run's screenshot as docs/app.png. Needs `npm run build:web` and Debian's Chromium.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { ensureExportedModel } from '../src/app/model-cache.js';
import { builtWebDir, ortWasmDir } from '../src/app/paths.js';
import { startAppServer } from '../src/app/server.js';
import { readImage } from '../src/image/read.js';
import { CHROMIUM, CHROMIUM_ARGS, dragBox } from './browser.js';
import { benchArgs, median, report } from './util.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const { json, text, repeats: runs } = benchArgs(3);
// The README's example: a DDTI thyroid image and a box around its nodule.
const image = text('--image', join(ROOT, '..', 'shared', 'data', 'ultrasound', 'ddti', 'DDTI', '1_1.a.jpg'));
const box = text('--box', '160,40,330,200').split(',').map(Number) as [number, number, number, number];
if (box.length !== 4 || box.some((v) => !Number.isFinite(v))) throw new Error(`--box needs x0,y0,x1,y1, got '${text('--box', '')}'`);
if (!existsSync(image)) throw new Error(`image not found: ${image} (give one with --image)`);
if (!existsSync(join(builtWebDir(), 'index.html'))) throw new Error('the web app is not built: run `npm run build:web` first');
if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);

const { width, height } = await readImage(image);
const work = mkdtempSync(join(tmpdir(), 'ultrasam-bench-app-'));
const modelDir = await ensureExportedModel({ cacheDir: join(work, 'cache') });
const server = await startAppServer({ webDir: builtWebDir(), modelDir, ortDir: ortWasmDir(), port: 0 });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
const firstMask: number[] = [];
const encoder: number[] = [];
let modelInfo = '';
try {
  for (let r = 0; r < runs; r++) {
    // A fresh page each run: nothing cached in the page (the browser keeps its HTTP cache).
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(server.url);
    await page.locator('body[data-model="ready"]').waitFor({ state: 'attached', timeout: 180_000 });
    modelInfo = (await page.locator('#model-info').textContent()) ?? '';
    await page.setInputFiles('#file-input', image);
    await page.locator('#drop-hint').waitFor({ state: 'hidden', timeout: 180_000 });
    await dragBox(page, box, { width, height });
    await page.locator('body[data-first-mask-ms]').waitFor({ state: 'attached', timeout: 180_000 });
    firstMask.push(Number(await page.locator('body').getAttribute('data-first-mask-ms')));
    encoder.push(Number(await page.locator('body').getAttribute('data-encode-ms')));
    if (r === runs - 1) await page.screenshot({ path: join(ROOT, 'docs', 'app.png') });
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
report(
  {
    model: modelInfo.trim(),
    image,
    runs,
    first_mask_ms: median(firstMask),
    first_mask_ms_all: firstMask.join(' '),
    image_encoder_ms: median(encoder),
    screenshot: 'docs/app.png',
  },
  json,
);
