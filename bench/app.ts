// Browser app benchmark: `npm run bench:app -- [--json] [--image FILE] [--box x0,y0,x1,y1] [--repeats N] [--clicks N] [--pause-ms MS] [--vitb] [--int8]`.
// Serves the built app with the bundled ultrasam-tiny (or, with --vitb, SAM ViT-B with random
// weights: speed does not depend on their values), opens a real ultrasound image in headless
// Chromium (WASM, the page's own thread count), draws a box, and reports the time from opening the
// image to the first mask (the page's own measure, the image encoder's share and the first mask's
// decode: decoder_image, the decoder and its masks at the image size); then clicks
// --clicks positive points inside the box, one after the other, and reports the decoder time per
// click as the page's worker measures it, each click --pause-ms after the previous mask came back
// (default 500: a user's clicks are that far apart at least; with 0 the next decode runs while the
// page still draws the previous mask, on the same two cores). Each click's time is also split:
// `click_decoder_ms` is onnxruntime's decoder runs alone, the rest of `click_ms` the masks at the
// image size. With --int8 the model is exported with its int8 encoder too (`ultrasam app --int8`)
// and each repeat opens one page with ?encoder=fp32 and one with ?encoder=int8 (the order
// alternating), so the two are side by side on the same load: the int8 figures under keys with
// `int8_`, the int8/fp32 ratio per pair, and the share of pixels on which the two first masks agree.
// `model_ready_ms` is the time from opening the page to the model being ready (served from this
// machine: the download a user waits for is not in it).
// Saves the last run's screenshot as docs/app.png (not with --vitb or --int8). Needs `npm run
// build:web` and Debian's Chromium (CHROMIUM_PATH, and CHROMIUM_EXTRA_ARGS for more command-line
// flags, e.g. `--js-flags=--trace-wasm-compilation-times --enable-logging=stderr` with
// DEBUG=pw:browser to see V8 compile the page's WebAssembly).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { ensureExportedModel } from '../src/app/model_cache.js';
import { builtWebDir, ortWasmDir } from '../src/app/paths.js';
import { startAppServer } from '../src/app/server.js';
import { decodeRle } from '../src/data/rle.js';
import { readImage } from '../src/image/read.js';
import { samConfig } from '../src/model/config.js';
import type { EncoderPrecision } from '../src/model/export_format.js';
import { CONFIG_METADATA_KEY } from '../src/model/predictor.js';
import { parameterShapes } from '../src/model/sam.js';
import { saveSamWeights } from '../src/weights/checkpoint.js';
import type { CocoFile } from '../web/src/export_data.js';
import { CHROMIUM, CHROMIUM_ARGS, downloadText, dragBox, screenOf } from './browser.js';
import { randomValues } from './random_weights.js';
import { benchArgs, median, pixelAgreement, report } from './util.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const { json, text, has, pauseMs: pauseArg, repeats: runs } = benchArgs(3);
const vitb = has('--vitb');
const int8 = has('--int8');
const clicks = Number(text('--clicks', '5'));
const pauseMs = pauseArg(500);
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
const modelDir = await ensureExportedModel({ weights, cacheDir: join(work, 'cache'), int8Encoder: int8 });
const server = await startAppServer({ webDir: builtWebDir(), modelDir, ortDir: ortWasmDir(), port: 0 });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

interface PageRun {
  info: string;
  /** From opening the page to the model being ready (its files from this machine's server, onnxruntime's sessions). */
  readyMs: number;
  firstMaskMs: number;
  encoderMs: number;
  /** The first mask's decode (decoder_image, the decoder, its masks at the image size): first mask = encoder + this + the page's share. */
  firstDecodeMs: number;
  clickMs: number[];
  /** Per click, the share of clickMs spent in onnxruntime's decoder runs (the rest: masks at the image size). */
  clickDecoderMs: number[];
  /** The first mask (the box's), when it is compared between encoders. */
  mask?: Uint8Array;
}

/** One fresh page (nothing cached in the page; the browser keeps its HTTP cache): the box, then the clicks. */
async function runPage(browser: Browser, encoder: EncoderPrecision | undefined, last: boolean): Promise<PageRun> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  try {
    const opened = Date.now();
    await page.goto(encoder ? `${server.url}?encoder=${encoder}` : server.url);
    await page.locator('body[data-model]').waitFor({ state: 'attached', timeout });
    if ((await page.locator('body').getAttribute('data-model')) !== 'ready') throw new Error(`the page could not load the model: ${await page.locator('#status-text').textContent()}`);
    const readyMs = Date.now() - opened;
    const info = ((await page.locator('#model-info').textContent()) ?? '').trim();
    await page.setInputFiles('#file-input', image);
    await page.locator('#drop-hint').waitFor({ state: 'hidden', timeout });
    await dragBox(page, box, { width, height });
    await page.locator('body[data-first-mask-ms]').waitFor({ state: 'attached', timeout });
    const firstMaskMs = Number(await page.locator('body').getAttribute('data-first-mask-ms'));
    const encoderMs = Number(await page.locator('body').getAttribute('data-encode-ms'));
    const firstDecodeMs = Number(await page.locator('body').getAttribute('data-decode-ms'));
    let mask: Uint8Array | undefined;
    if (int8) {
      const coco = JSON.parse(await downloadText(page, '#export-coco', timeout)) as CocoFile;
      mask = decodeRle(coco.annotations[0].segmentation);
    }
    // Clicks inside the box, each waiting for its mask: the box plus 1, 2, … positive points.
    const clickMs: number[] = [];
    const clickDecoderMs: number[] = [];
    for (let c = 0; c < clicks; c++) {
      const decodes = Number(await page.locator('body').getAttribute('data-decodes'));
      const t = (c + 1) / (clicks + 1);
      const [x, y] = await screenOf(page, [box[0] + t * (box[2] - box[0]), box[1] + (1 - t) * (box[3] - box[1])], { width, height });
      await page.waitForTimeout(pauseMs);
      await page.mouse.click(x, y);
      await page.locator(`body[data-decodes="${decodes + 1}"]`).waitFor({ state: 'attached', timeout });
      clickMs.push(Number(await page.locator('body').getAttribute('data-decode-ms')));
      clickDecoderMs.push(Number(await page.locator('body').getAttribute('data-decoder-run-ms')));
    }
    if (last && !vitb && !int8) await page.screenshot({ path: join(ROOT, 'docs', 'app.png') });
    return { info, readyMs, firstMaskMs, encoderMs, firstDecodeMs, clickMs, clickDecoderMs, mask };
  } finally {
    await page.close();
  }
}

const fp32Runs: PageRun[] = [];
const int8Runs: PageRun[] = [];
try {
  for (let r = 0; r < runs; r++) {
    if (!int8) {
      fp32Runs.push(await runPage(browser, undefined, r === runs - 1));
      continue;
    }
    // fp32 first in even repeats, int8 first in odd ones: neither always gets the warmer browser.
    for (const encoder of r % 2 === 0 ? (['fp32', 'int8'] as const) : (['int8', 'fp32'] as const)) {
      (encoder === 'fp32' ? fp32Runs : int8Runs).push(await runPage(browser, encoder, r === runs - 1));
    }
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}

/** The figures of one encoder's pages under keys that start with `prefix`. */
function figures(prefix: string, pages: PageRun[]): Record<string, unknown> {
  const clickMs = pages.flatMap((p) => p.clickMs);
  return {
    [`${prefix}model_ready_ms`]: median(pages.map((p) => p.readyMs)),
    [`${prefix}first_mask_ms`]: median(pages.map((p) => p.firstMaskMs)),
    [`${prefix}first_mask_ms_all`]: pages.map((p) => p.firstMaskMs).join(' '),
    [`${prefix}image_encoder_ms`]: median(pages.map((p) => p.encoderMs)),
    [`${prefix}image_encoder_ms_all`]: pages.map((p) => p.encoderMs).join(' '),
    [`${prefix}first_decode_ms`]: median(pages.map((p) => p.firstDecodeMs)),
    [`${prefix}first_decode_ms_all`]: pages.map((p) => p.firstDecodeMs).join(' '),
    [`${prefix}click_ms`]: clicks ? median(clickMs) : null,
    [`${prefix}click_ms_all`]: clickMs.join(' '),
    [`${prefix}click_decoder_ms`]: clicks ? median(pages.flatMap((p) => p.clickDecoderMs)) : null,
    [`${prefix}click_decoder_ms_all`]: pages.flatMap((p) => p.clickDecoderMs).join(' '),
  };
}

const prefix = vitb ? 'app_vitb_' : '';
const ratios = (of: (p: PageRun) => number) => fp32Runs.map((p, i) => (of(int8Runs[i]) / of(p)).toFixed(3)).join(' ');
// Only with --int8: the plain run has no int8 pages to compare.
const agreements = int8 ? fp32Runs.map((p, i) => pixelAgreement(p.mask!, int8Runs[i].mask!)) : [];
report(
  {
    model: fp32Runs[0].info,
    ...(int8 ? { model_int8: int8Runs[0].info } : {}),
    image,
    runs,
    pause_ms: pauseMs,
    ...figures(prefix, fp32Runs),
    ...(int8
      ? {
          ...figures(`${prefix}int8_`, int8Runs),
          [`${prefix}int8_fp32_first_mask_ratio`]: ratios((p) => p.firstMaskMs),
          [`${prefix}int8_fp32_image_encoder_ratio`]: ratios((p) => p.encoderMs),
          [`${prefix}int8_fp32_mask_agreement`]: agreements.map((a) => a.toFixed(5)).join(' '),
        }
      : {}),
    ...(vitb || int8 ? {} : { screenshot: 'docs/app.png' }),
  },
  json,
);
