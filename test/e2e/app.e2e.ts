// End-to-end test of the browser app (`npm run test:e2e`): the real server, Debian's Chromium driven by
// playwright-core. Opens an ultrasound image, draws a box (its mask against `ultrasam segment`) and a
// negative point, a corrective click: exports COCO and checks the exported RLE against the library's
// SamPredictor under eval's click rule — the box's kept output's logits as the mask input (IoU ≥ 0.99);
// later a lone point and a corrective click on a second object, the same way; takes a screenshot, prints the time from opening the image to the first mask, runs axe (no critical
// violations), checks that corrupt and unsupported files give a clear message while the app goes on,
// and that a page with no GPU adapter loads onnxruntime-web's CPU-only build.
// Then the Refine option against `ultrasam segment --refine`, Segment everything against `ultrasam
// everything` (its masks as objects, renamed, deleted, refined), and the cine panel on a multi-frame
// DICOM: propagation against `ultrasam propagate`, playing, and a correction re-propagated.
// Last, the int8 encoder (`ultrasam app --int8`): the page reports it, and its box mask agrees with the
// Node predictor's int8 encoder and the fp32 page's on ≥ 99 % of pixels; ?encoder=int8 on an fp32-only
// export is a clear message; weights that record a mask threshold: the page binarizes at it; and
// weights that record flip averaging: the page averages with the mirror image as the predictor does;
// and a page with a (software) GPU adapter runs onnxruntime-web's WebGPU build to the box mask of the
// WASM page (the bundled ultrasam-tiny: SwiftShader is slow, and its input is small).
// Uses the small random SAM of ../shared/fixtures/sam-parity (deterministic masks); skips without it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';
import { ensureExportedModel } from '../../src/app/model_cache.js';
import { builtWebDir, ortWasmDir } from '../../src/app/paths.js';
import { type RunningAppServer, startAppServer } from '../../src/app/server.js';
import { decodeRle, type Rle } from '../../src/data/rle.js';
import { clickRoundInput } from '../../src/eval/click_rule.js';
import { bestOutput } from '../../src/eval/predict.js';
import { readImage } from '../../src/image/read.js';
import { type LoadOptions, SamPredictor } from '../../src/model/predictor.js';
import type { CocoFile } from '../../web/src/export_data.js';
import { buildDicom, pixelElements } from '../image/dicom_writer.js';
import { CHROMIUM, CHROMIUM_ARGS, downloadText as download, dragBox, screenOf } from '../../bench/browser.js';
import { pixelAgreement } from '../../bench/util.js';
import { tempDir } from '../helpers/temp_dir.js';
import { scriptedChecks } from '../helpers/checks.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = join(ROOT, '..', 'shared', 'fixtures', 'sam-parity');
const IMAGE = join(FIXTURE, 'image.png');
const WEIGHTS = join(FIXTURE, 'sam_weights.pth');
/** Box and negative point in image pixels (the parity fixture's box_and_point case). */
const BOX: [number, number, number, number] = [125, 63, 350, 236];
const NEGATIVE: [number, number] = [200, 157];
/** A corrective (positive) click for the second object, whose first prompt is a point at (250, 141). */
const CORRECTIVE: [number, number] = [300, 180];
const TIMEOUT = 180_000;
/** Chromium flags for WebGPU on SwiftShader's software Vulkan (no GPU needed; slow). */
const SOFTWARE_WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--enable-unsafe-swiftshader'];

const { check, runChecks } = scriptedChecks();

const downloadText = (page: Page, button: string): Promise<string> => download(page, button, TIMEOUT);

function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** The onnxruntime-web files (served under /ort/) the page requests from now on, filled as it runs. */
function ortFilesFetched(page: Page): string[] {
  const files: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/ort/')) files.push(r.url().split('/ort/')[1]);
  });
  return files;
}

async function alertText(page: Page): Promise<string> {
  await page.locator('#alert').waitFor({ state: 'visible', timeout: 30_000 });
  return (await page.locator('#alert-text').textContent()) ?? '';
}

/** A 3-frame 160×120 calibrated ultrasound DICOM: a bright ellipse that moves right frame by frame. */
function cineDicom(): Buffer {
  const [columns, rows, frames] = [160, 120, 3];
  const pixels = new Uint8Array(columns * rows * frames);
  for (let f = 0; f < frames; f++) {
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        const inside = ((x - 50 - 30 * f) / 28) ** 2 + ((y - 60) / 20) ** 2 <= 1;
        pixels[f * rows * columns + y * columns + x] = inside ? 220 : 30 + ((x * 7 + y * 13) % 25);
      }
    }
  }
  const elements = pixelElements({ rows, columns, photometric: 'MONOCHROME2', bitsAllocated: 8, frames, pixels });
  return Buffer.from(buildDicom({ ...elements, '0028,0030': { vr: 'DS', value: '0.3\\0.2' }, '0018,1063': { vr: 'DS', value: '40' } }));
}

/** `ultrasam <args> --json` with the fixture's model; its JSON summary. */
function cliJson<T>(args: string[]): T {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args, '--weights', WEIGHTS, '--decoder-heads', '4', '--json'], {
    encoding: 'utf8',
    cwd: ROOT,
    maxBuffer: 1 << 26,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

/**
 * The mask eval's click rule gives for an object's prompt (src/eval/click_rule.ts), on the library's
 * predictor: the first prompt decoded alone, each later point added with the logits of the output
 * kept for the prompt before it (bestOutput: SAM's default, as the app shows without a choice).
 */
async function clickRuleMask(predictor: SamPredictor, prompt: CocoFile['annotations'][number]['ultrasam_prompt']): Promise<Uint8Array> {
  const firstPoints = prompt.points.length - prompt.corrections.length;
  if (prompt.corrections.some((c) => c !== null)) throw new Error("the reference replays SAM's default candidates only");
  let kept: ReturnType<typeof bestOutput> | undefined;
  for (let n = firstPoints; n <= prompt.points.length; n++) {
    const input = { points: prompt.points.slice(0, n), labels: prompt.labels.slice(0, n), ...(prompt.box ? { box: prompt.box } : {}) };
    kept = bestOutput(await predictor.predict(clickRoundInput(input, kept?.logits)), `click rule, ${n} point(s)`);
  }
  return kept!.mask;
}

/** clickRuleMask on IMAGE with a predictor loaded for it (2 threads) and released after. */
async function nodeClickRuleMask(weights: string, options: LoadOptions, prompt: CocoFile['annotations'][number]['ultrasam_prompt']): Promise<Uint8Array> {
  const predictor = await SamPredictor.load(weights, { threads: 2, ...options });
  try {
    await predictor.setImage(IMAGE);
    return await clickRuleMask(predictor, prompt);
  } finally {
    await predictor.release();
  }
}

/** Downloads the COCO export until `ready` says it has what the test waits for (masks come asynchronously). */
async function cocoWhen(page: Page, ready: (coco: CocoFile) => boolean): Promise<CocoFile> {
  const until = Date.now() + TIMEOUT;
  for (;;) {
    const coco = JSON.parse(await downloadText(page, '#export-coco')) as CocoFile;
    if (ready(coco)) return coco;
    if (Date.now() > until) throw new Error(`the COCO export never had what was waited for: ${JSON.stringify(coco.annotations.map((a) => a.ultrasam_prompt))}`);
    await page.waitForTimeout(250);
  }
}

function maskFromPng(image: { data: ArrayLike<number>; width: number; height: number; channels: number }): Uint8Array {
  const mask = new Uint8Array(image.width * image.height);
  for (let p = 0; p < mask.length; p++) mask[p] = image.data[p * image.channels] ? 1 : 0;
  return mask;
}

async function run(work: string): Promise<void> {
  let server: RunningAppServer | undefined;
  /** The servers of the pages for other exports (int8, mask threshold, flip averaging). */
  const otherServers: RunningAppServer[] = [];
  let browser: Browser | undefined;
  let gpuBrowser: Browser | undefined;
  const predictor = await SamPredictor.load(WEIGHTS, { decoderHeads: 4, threads: 2 });
  try {
    await predictor.setImage(IMAGE);
    const modelDir = await ensureExportedModel({ weights: WEIGHTS, decoderHeads: 4, cacheDir: join(work, 'cache') });
    server = await startAppServer({ webDir: builtWebDir(), modelDir, ortDir: ortWasmDir(), port: 0 });
    check('server listens on loopback', server.url.startsWith('http://127.0.0.1:'), server.url);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    const size = { width: 500, height: 315 };
    /** A page of the app for another export, on a server of its own, once its model is ready. */
    const openExport = async (modelDir: string, name: string): Promise<Page> => {
      const other = await startAppServer({ webDir: builtWebDir(), modelDir, ortDir: ortWasmDir(), port: 0 });
      otherServers.push(other);
      const opened = await context.newPage();
      opened.on('pageerror', (e) => pageErrors.push(`${name} page: ${e.message}`));
      await opened.goto(other.url);
      await opened.locator('body[data-model="ready"]').waitFor({ state: 'attached', timeout: TIMEOUT });
      return opened;
    };
    /** IMAGE opened in the page and BOX drawn on it, until its mask shows. */
    const boxOnImage = async (on: Page): Promise<void> => {
      await on.setInputFiles('#file-input', IMAGE);
      await on.locator('#drop-hint').waitFor({ state: 'hidden', timeout: TIMEOUT });
      await dragBox(on, BOX, size);
      await on.locator('body[data-first-mask-ms]').waitFor({ state: 'attached', timeout: TIMEOUT });
    };
    const foreignRequests: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const ortFiles = ortFilesFetched(page);
    page.on('request', (r) => {
      if (!r.url().startsWith(server!.url) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreignRequests.push(r.url());
    });
    await page.goto(server.url);
    await page.locator('body[data-model="ready"]').waitFor({ state: 'attached', timeout: TIMEOUT });
    check('page is cross-origin isolated (WASM threads)', await page.evaluate(() => self.crossOriginIsolated));
    const fp32Info = (await page.locator('#model-info').textContent()) ?? '';
    console.log(`       ${fp32Info}`);

    const opened = Date.now();
    await page.setInputFiles('#file-input', IMAGE);
    await page.locator('#drop-hint').waitFor({ state: 'hidden', timeout: TIMEOUT });
    await dragBox(page, BOX, size);
    await page.locator('body[data-first-mask-ms]').waitFor({ state: 'attached', timeout: TIMEOUT });
    const wallMs = Date.now() - opened;
    const pageMs = Number(await page.locator('body').getAttribute('data-first-mask-ms'));
    check('a mask appears after the box', (await page.locator('#stage').getAttribute('data-masks')) === '1');
    const encodeMs = await page.locator('body').getAttribute('data-encode-ms');
    console.log(`       time from opening the image to the first mask: ${pageMs} ms in the page (${wallMs} ms as the test saw it; image encoder ${encodeMs} ms)`);

    const tableArea = async () => Number(await page.locator('#measurements tr td').first().textContent());
    const boxOnlyArea = await tableArea();
    const boxCoco = JSON.parse(await downloadText(page, '#export-coco')) as CocoFile;
    const boxMaskOut = join(work, 'box_mask.png');
    cliJson(['segment', IMAGE, '--box', boxCoco.annotations[0].ultrasam_prompt.box!.join(','), '--out', boxMaskOut]);
    const boxIou = iou(decodeRle(boxCoco.annotations[0].segmentation), maskFromPng(await readImage(boxMaskOut)));
    check('the box (a first prompt) gives the mask of `ultrasam segment --box` (IoU ≥ 0.99)', boxIou >= 0.99 && boxOnlyArea > 0, `IoU ${boxIou.toFixed(5)}, ${boxOnlyArea} px`);

    const [nx, ny] = await screenOf(page, NEGATIVE, size);
    await page.mouse.click(nx, ny, { button: 'right' });
    await page.locator('#status-text', { hasText: 'Mask updated' }).waitFor({ timeout: TIMEOUT });
    // docs/app.png comes from `npm run bench:app` (the bundled model on a real image); this one,
    // with the fixture's random model, stays in the work folder.
    const screenshot = join(work, 'app.png');
    await page.screenshot({ path: screenshot });
    check('screenshot saved', existsSync(screenshot), screenshot);

    const coco = JSON.parse(await downloadText(page, '#export-coco')) as CocoFile;
    const annotation = coco.annotations[0];
    check(
      'COCO export has one annotation with the box and one negative point, a corrective click',
      coco.annotations.length === 1 && !!annotation.ultrasam_prompt.box && annotation.ultrasam_prompt.labels.join() === '0' && JSON.stringify(annotation.ultrasam_prompt.corrections) === '[null]',
      JSON.stringify(annotation.ultrasam_prompt),
    );
    const appMask = decodeRle(annotation.segmentation);
    const ruleMask = await clickRuleMask(predictor, annotation.ultrasam_prompt);
    // The same prompt decoded with no mask input (what the app did before it followed the rule).
    const { box, points } = annotation.ultrasam_prompt;
    const withoutMaskInput = bestOutput(await predictor.predict({ box: box!, points, labels: [0] }), 'box and point').mask;
    const score = iou(appMask, ruleMask);
    check(
      'box + corrective click: the exported mask is the click rule on SamPredictor (box logits as mask input; IoU ≥ 0.99)',
      score >= 0.99 && annotation.area > 0,
      `IoU ${score.toFixed(5)}, app ${annotation.area} px; IoU ${iou(appMask, withoutMaskInput).toFixed(5)} with the prompt decoded without mask input`,
    );

    const csv = await downloadText(page, '#export-csv');
    check('measurement CSV lists the object area', csv.includes(`,${annotation.area},`), csv.trim().split('\n')[1]);

    await page.keyboard.press('Control+z');
    const undone = await tableArea();
    await page.keyboard.press('Control+y');
    const redone = await tableArea();
    check('Ctrl+Z / Ctrl+Y undo and redo the negative point', undone === boxOnlyArea && redone === annotation.area, `${boxOnlyArea} → ${annotation.area} → ${undone} → ${redone} px`);
    await page.keyboard.press('3');
    const picked = await page.locator('#candidates input[value="2"]').isChecked();
    const pickedArea = await tableArea();
    await page.keyboard.press('1');
    check('keys 1–4 choose a mask candidate', picked && (await page.locator('#candidates input[value="0"]').isChecked()) && (await tableArea()) === annotation.area, `candidate 3: ${pickedArea} px`);

    const axeSource = readFileSync(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe;
      return (await axe.run(document)).violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    const critical = violations.filter((v) => v.impact === 'critical');
    check('axe: no critical violations', critical.length === 0, violations.length ? violations.map((v) => `${v.impact} ${v.id} ×${v.nodes}`).join(', ') : 'no violations');

    // Dropped onto the image rather than picked, to cover drag-and-drop.
    const corruptBytes = Buffer.concat([readFileSync(IMAGE).subarray(0, 60), Buffer.alloc(200, 7)]);
    const dropped = await page.evaluateHandle((base64) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], 'corrupt.png', { type: 'image/png' }));
      return transfer;
    }, corruptBytes.toString('base64'));
    await page.dispatchEvent('#stage', 'drop', { dataTransfer: dropped });
    const corrupt = await alertText(page);
    check('a corrupt PNG (dropped) gives a clear message', /corrupt\.png/.test(corrupt) && /could not decode|corrupt/i.test(corrupt), corrupt);
    await page.click('#alert-dismiss');
    await page.setInputFiles('#file-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
    const unsupported = await alertText(page);
    check('an unsupported file gives a clear message', /notes\.txt/.test(unsupported) && /PNG, JPEG or DICOM/.test(unsupported), unsupported);

    const huge = Buffer.alloc(64);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]).copy(huge);
    huge.writeUInt32BE(30000, 16);
    huge.writeUInt32BE(20000, 20);
    await page.click('#alert-dismiss');
    await page.setInputFiles('#file-input', { name: 'huge.png', mimeType: 'image/png', buffer: huge });
    const tooLarge = await alertText(page);
    check('an image too large for memory gives a clear message', /huge\.png: the image is 30000×20000/.test(tooLarge) && /too large for the browser's memory/.test(tooLarge), tooLarge);

    await page.click('#add-object');
    const [px, py] = await screenOf(page, [250, 141], size);
    await page.mouse.click(px, py);
    await page.locator('#stage[data-masks="2"]').waitFor({ timeout: TIMEOUT });
    check('the app keeps working after the bad files (a second object gets its mask)', true);

    // Refine: the active object (a lone positive point) decoded twice, as `ultrasam segment --refine`.
    const plainCoco = JSON.parse(await downloadText(page, '#export-coco')) as CocoFile;
    // Toggling refine empties the shown masks at once (other cache keys) until both objects are decoded again.
    await page.check('#refine');
    await page.locator('#stage[data-masks="2"]').waitFor({ state: 'attached', timeout: TIMEOUT });
    const refinedCoco = JSON.parse(await downloadText(page, '#export-coco')) as CocoFile;
    const refinedAnn = refinedCoco.annotations[1];
    const [rx, ry] = refinedAnn.ultrasam_prompt.points[0];
    const refinedOut = join(work, 'refined.png');
    cliJson(['segment', IMAGE, '--point', `${rx},${ry}`, '--refine', '--out', refinedOut]);
    const refineIou = iou(decodeRle(refinedAnn.segmentation), maskFromPng(await readImage(refinedOut)));
    check(
      'Refine: the mask is `ultrasam segment --refine` (IoU ≥ 0.99) and differs from the unrefined one',
      refineIou >= 0.99 && refinedAnn.area !== plainCoco.annotations[1].area,
      `IoU ${refineIou.toFixed(5)}; ${plainCoco.annotations[1].area} px → ${refinedAnn.area} px`,
    );
    await page.uncheck('#refine');

    // Point + corrective click on the second object: the lone point's best candidate feeds the click.
    const [cx, cy] = await screenOf(page, CORRECTIVE, size);
    await page.mouse.click(cx, cy);
    const clicked = await cocoWhen(page, (c) => c.annotations.length === 2 && c.annotations[1].ultrasam_prompt.points.length === 2);
    const clickedAnn = clicked.annotations[1];
    const clickedMask = decodeRle(clickedAnn.segmentation);
    const clickRuleIou = iou(clickedMask, await clickRuleMask(predictor, clickedAnn.ultrasam_prompt));
    const plainPoints = { points: clickedAnn.ultrasam_prompt.points, labels: clickedAnn.ultrasam_prompt.labels };
    const noMaskIou = iou(clickedMask, bestOutput(await predictor.predict(plainPoints), 'two points').mask);
    check(
      "point + corrective click: the mask is the click rule on SamPredictor (the point's kept candidate as mask input; IoU ≥ 0.99)",
      clickRuleIou >= 0.99 && JSON.stringify(clickedAnn.ultrasam_prompt.corrections) === '[null]',
      `IoU ${clickRuleIou.toFixed(5)}, ${plainCoco.annotations[1].area} px → ${clickedAnn.area} px; IoU ${noMaskIou.toFixed(5)} with the two points decoded without mask input`,
    );
    await page.keyboard.press('Control+z');
    const lonePoint = await cocoWhen(page, (c) => c.annotations[1]?.ultrasam_prompt.points.length === 1);
    check("undo after the corrective click brings back the lone point's mask", lonePoint.annotations[1].area === plainCoco.annotations[1].area, `${lonePoint.annotations[1].area} px`);
    await page.keyboard.press('Control+y');

    // Segment everything, filters off (the fixture's random model scores low), as `ultrasam everything`.
    const everythingArgs = { points: '2', iou: '0', stability: '0', nms: '1' };
    for (const [field, value] of Object.entries(everythingArgs)) await page.fill(`#everything-${field}`, value);
    await page.click('#everything');
    await page.locator('#stage[data-everything]').waitFor({ state: 'attached', timeout: TIMEOUT });
    const generated = Number(await page.locator('#stage').getAttribute('data-everything'));
    const everythingDir = join(work, 'everything');
    const cliEverything = cliJson<{ masks: number; coco: string }>([
      'everything',
      IMAGE,
      '--out-dir',
      everythingDir,
      '--points-per-side',
      '2',
      '--pred-iou-thresh',
      '0',
      '--stability-thresh',
      '0',
      '--box-nms-thresh',
      '1',
    ]);
    check('Segment everything: as many masks as `ultrasam everything`', generated === cliEverything.masks && generated > 0, `${generated} in the app, ${cliEverything.masks} from the CLI`);
    await page.locator(`#stage[data-masks="${2 + generated}"]`).waitFor({ timeout: TIMEOUT });
    const withAuto = JSON.parse(await downloadText(page, '#export-coco')) as CocoFile;
    // Each object's name is its COCO category.
    const nameOf = (coco: CocoFile, a: CocoFile['annotations'][number]) => coco.categories.find((c) => c.id === a.category_id)!.name;
    const autoAnns = withAuto.annotations.filter((a) => nameOf(withAuto, a).startsWith('auto '));
    const cliMasks = (JSON.parse(readFileSync(cliEverything.coco, 'utf8')) as { annotations: { segmentation: Rle }[] }).annotations.map((a) => decodeRle(a.segmentation));
    let worstAuto = 1;
    const unmatched = new Set(cliMasks.keys());
    for (const a of autoAnns) {
      const mask = decodeRle(a.segmentation);
      let best = -1;
      let bestIou = -1;
      for (const j of unmatched) {
        const v = iou(mask, cliMasks[j]);
        if (v > bestIou) [best, bestIou] = [j, v];
      }
      unmatched.delete(best);
      worstAuto = Math.min(worstAuto, bestIou);
    }
    check('Segment everything: each object is one of the CLI masks (IoU ≥ 0.99)', autoAnns.length === generated && worstAuto >= 0.99, `worst IoU ${worstAuto.toFixed(5)}`);
    // Keep, rename, delete, refine.
    await page.fill('input[aria-label="Name of object 3"]', 'kept structure');
    await page.press('input[aria-label="Name of object 3"]', 'Enter');
    await page.click('button[aria-label="Delete auto 2"]');
    await page.click('button[aria-label="Edit auto 3"]');
    const beforeRefine = autoAnns.find((a) => nameOf(withAuto, a) === 'auto 3')!;
    const [ax, ay] = beforeRefine.ultrasam_prompt.points[0];
    const [fx, fy] = await screenOf(page, [Math.min(499, ax + 120) % 500, Math.min(314, ay + 80) % 315], size);
    await page.mouse.click(fx, fy, { button: 'right' });
    await page.locator(`#stage[data-masks="${2 + generated - 1}"]`).waitFor({ state: 'attached', timeout: TIMEOUT });
    const edited = JSON.parse(await downloadText(page, '#export-coco')) as CocoFile;
    const names = edited.annotations.map((a) => nameOf(edited, a));
    const refinedAuto = edited.annotations.find((a) => nameOf(edited, a) === 'auto 3')!;
    check(
      'generated objects can be renamed, deleted and refined with more prompts',
      names.includes('kept structure') && !names.includes('auto 2') && edited.annotations.length === 2 + generated - 1 && refinedAuto.ultrasam_prompt.labels.join() === '1,0',
      `${edited.annotations.length} objects; auto 3: ${beforeRefine.area} → ${refinedAuto.area} px with a negative point`,
    );

    await page.setInputFiles('#file-input', { name: 'cine.dcm', mimeType: 'application/dicom', buffer: cineDicom() });
    await page.locator('#frame-chooser').waitFor({ state: 'visible', timeout: TIMEOUT });
    check('a multi-frame DICOM offers its frames', (await page.locator('#frame-count').textContent()) === '3');
    await page.locator('#stage[data-encoded-frame="1"]').waitFor({ state: 'attached', timeout: TIMEOUT });
    await page.fill('#frame-input', '2');
    await page.press('#frame-input', 'Tab');
    await page.locator('#stage[data-encoded-frame="2"]').waitFor({ state: 'attached', timeout: TIMEOUT });
    // Keyboard only: the cursor starts at the image centre, on frame 2's ellipse; Enter places a positive point.
    await page.focus('#view');
    await page.keyboard.press('Enter');
    await page.locator('#stage[data-masks="1"]').waitFor({ state: 'attached', timeout: TIMEOUT });
    check('the calibrated DICOM shows areas in mm²', await page.locator('#mm-header').isVisible());
    const [, dicomRow] = (await downloadText(page, '#export-csv')).trim().split('\n');
    const [, areaPx, areaMm2] = dicomRow.split(',');
    check('mm² = px × 0.2 mm × 0.3 mm', Number(areaPx) > 0 && areaMm2 === (Number(areaPx) * 0.06).toFixed(3), dicomRow);

    // Cine: propagate the object of frame 2 through the clip, as `ultrasam propagate`.
    check('the cine panel is offered for the multi-frame DICOM', await page.locator('#cine').isVisible());
    const cinePrompt = (JSON.parse(await downloadText(page, '#export-coco')) as CocoFile).annotations[0].ultrasam_prompt;
    await page.fill('#min-score', '0');
    await page.click('#propagate');
    await page.locator('#stage[data-track-frames="3"]').waitFor({ state: 'attached', timeout: TIMEOUT });
    const track = (await downloadText(page, '#export-track')).trim().split('\n');
    const cineFile = join(work, 'cine.dcm');
    writeFileSync(cineFile, cineDicom());
    const [cpx, cpy] = cinePrompt.points[0];
    const cliTrack = cliJson<{ csv: string; masked_frames: number }>(['propagate', cineFile, '--frame', '1', '--point', `${cpx},${cpy}`, '--min-score', '0', '--out', join(work, 'propagated')]);
    const cliRows = readFileSync(cliTrack.csv, 'utf8').trim().split('\n');
    const sameRows =
      track.length === cliRows.length &&
      track.every((row, i) => {
        if (i === 0) return row === cliRows[0];
        const [a, b] = [row.split(','), cliRows[i].split(',')];
        // frame, time, source exactly; areas within 0.5 % (ORT-web against onnxruntime-node).
        return a[0] === b[0] && a[1] === b[1] && a[5] === b[5] && Math.abs(Number(a[2]) - Number(b[2])) <= 0.005 * Number(b[2]);
      });
    check('propagation: the track CSV (frames, times, areas, sources) matches `ultrasam propagate`', sameRows && cliTrack.masked_frames === 3, track.slice(1).join(' | '));
    await page.click('#play');
    const playedFrom = await page.locator('#stage').getAttribute('data-frame');
    await page.waitForFunction((from) => document.getElementById('stage')?.dataset.frame !== from, playedFrom, { timeout: TIMEOUT });
    const playedMask = await page.locator('#stage').getAttribute('data-track-mask');
    await page.click('#play');
    check(
      'Play steps through the frames with the propagated mask',
      playedMask === '1' && (await page.locator('#play').getAttribute('aria-pressed')) === 'false',
      `frame ${playedFrom} → ${await page.locator('#stage').getAttribute('data-frame')}`,
    );
    // Correct frame 3 with a box and propagate again from it: frame 2 (the first prompt) stays as it was.
    // Via a frame the player did not stop on (1, or 2 when it stopped on 1), so that the field changes each time.
    const stoppedOn = await page.locator('#stage').getAttribute('data-frame');
    for (const frame of [stoppedOn === '1' ? '2' : '1', '3']) {
      await page.fill('#frame-input', frame);
      await page.press('#frame-input', 'Tab');
      await page.locator(`#stage[data-encoded-frame="${frame}"]`).waitFor({ state: 'attached', timeout: TIMEOUT });
    }
    await dragBox(page, [80, 38, 140, 82], { width: 160, height: 120 });
    await page.locator('#stage[data-masks="1"]').waitFor({ state: 'attached', timeout: TIMEOUT });
    await page.click('#propagate');
    await page.locator('#status-text', { hasText: 'Propagated from frame 3' }).waitFor({ timeout: TIMEOUT });
    const corrected = (await downloadText(page, '#export-track')).trim().split('\n');
    check(
      'a corrected frame re-propagates without overwriting the earlier prompt',
      corrected[3].endsWith(',prompt') && corrected[2] === track[2] && corrected[1] === track[1],
      corrected.slice(1).join(' | '),
    );
    check('no uncaught errors in the page', pageErrors.length === 0, pageErrors.join('; '));
    check('no request left the server', foreignRequests.length === 0, foreignRequests.join(', '));
    check(
      "without a GPU adapter the page loads onnxruntime-web's CPU-only build (its WebGPU build is larger and slower on the CPU)",
      ortFiles.includes('ort-wasm-simd-threaded.wasm') && !ortFiles.some((f) => f.includes('jsep')),
      ortFiles.join(', '),
    );
    check("the fp32 export's page says it runs the fp32 encoder", /encoder fp32/.test(fp32Info), fp32Info);

    // ?encoder=int8 on an export without the int8 encoder: a clear message, not the fp32 model.
    const asksInt8 = await context.newPage();
    await asksInt8.goto(`${server.url}?encoder=int8`);
    const noInt8 = await alertText(asksInt8);
    check('?encoder=int8 on an fp32-only export says how to get the int8 encoder', /exported without the int8 encoder/.test(noInt8) && /ultrasam app --int8/.test(noInt8), noInt8);
    await asksInt8.close();

    // The int8 encoder (`ultrasam app --int8`): its own export, the page runs it, the box's mask is
    // the Node predictor's with the int8 encoder and nearly the fp32 page's.
    const int8Dir = await ensureExportedModel({ weights: WEIGHTS, decoderHeads: 4, cacheDir: join(work, 'cache'), int8Encoder: true });
    const int8Manifest = JSON.parse(readFileSync(join(int8Dir, 'ultrasam.json'), 'utf8')) as { files: { encoderInt8?: { strip?: string; tail?: string } } };
    check(
      '`ultrasam app --int8`: the manifest lists the int8 encoder',
      int8Manifest.files.encoderInt8?.strip === 'encoder_strip.int8.onnx' && int8Manifest.files.encoderInt8.tail === 'encoder_tail.int8.onnx',
      JSON.stringify(int8Manifest.files),
    );
    const int8Page = await openExport(int8Dir, 'int8');
    const int8Info = (await int8Page.locator('#model-info').textContent()) ?? '';
    check("the int8 export's page says it runs the int8 encoder", /encoder int8/.test(int8Info), int8Info);
    await boxOnImage(int8Page);
    const int8EncodeMs = await int8Page.locator('body').getAttribute('data-encode-ms');
    const int8Coco = JSON.parse(await downloadText(int8Page, '#export-coco')) as CocoFile;
    const int8Prompt = int8Coco.annotations[0].ultrasam_prompt;
    const int8Mask = decodeRle(int8Coco.annotations[0].segmentation);
    const nodeInt8Mask = await nodeClickRuleMask(WEIGHTS, { decoderHeads: 4, quantizeEncoder: true }, int8Prompt);
    const withNode = pixelAgreement(int8Mask, nodeInt8Mask);
    const withFp32Page = pixelAgreement(int8Mask, decodeRle(boxCoco.annotations[0].segmentation));
    check(
      "int8 page: the box's mask agrees with the Node predictor's int8 encoder on ≥ 99 % of pixels",
      withNode >= 0.99 && int8Coco.annotations[0].area > 0 && JSON.stringify(int8Prompt.box) === JSON.stringify(boxCoco.annotations[0].ultrasam_prompt.box),
      `${(100 * withNode).toFixed(3)} % (IoU ${iou(int8Mask, nodeInt8Mask).toFixed(5)}); with the fp32 page's mask ${(100 * withFp32Page).toFixed(3)} %; image encoder ${int8EncodeMs} ms (fp32 page ${encodeMs} ms)`,
    );
    check("int8 page: ≥ 99 % of pixels as the fp32 page's mask", withFp32Page >= 0.99, `${(100 * withFp32Page).toFixed(3)} %`);
    check('no uncaught errors in the int8 page', pageErrors.length === 0, pageErrors.join('; '));

    // Weights that record a mask threshold (`convert-weights --mask-threshold`): the page binarizes
    // at it, as the Node predictor does. The threshold is the median of the box's positive low-res
    // logits, so that the mask visibly shrinks whatever the fixture's logit scale.
    const boxPrompt = boxCoco.annotations[0].ultrasam_prompt.box!;
    const boxLogits = bestOutput(await predictor.predict({ box: boxPrompt }), 'box').logits.filter((v) => v > 0);
    const threshold = Number([...boxLogits].sort((a, b) => a - b)[Math.floor(boxLogits.length / 2)].toPrecision(4));
    const thresholded = join(work, 'thresholded.safetensors');
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'convert-weights', WEIGHTS, thresholded, '--decoder-heads', '4', '--mask-threshold', String(threshold)], {
      cwd: ROOT,
    });
    const thresholdDir = await ensureExportedModel({ weights: thresholded, cacheDir: join(work, 'cache') });
    const thresholdManifest = JSON.parse(readFileSync(join(thresholdDir, 'ultrasam.json'), 'utf8')) as { maskThreshold?: number };
    check('weights with a mask threshold: the manifest records it', thresholdManifest.maskThreshold === threshold, `${thresholdManifest.maskThreshold} (recorded ${threshold})`);
    const thresholdPage = await openExport(thresholdDir, 'threshold');
    await boxOnImage(thresholdPage);
    const thresholdCoco = JSON.parse(await downloadText(thresholdPage, '#export-coco')) as CocoFile;
    const thresholdMask = decodeRle(thresholdCoco.annotations[0].segmentation);
    const nodeThresholdMask = await nodeClickRuleMask(thresholded, {}, thresholdCoco.annotations[0].ultrasam_prompt);
    const thresholdIou = iou(thresholdMask, nodeThresholdMask);
    const plainArea = boxCoco.annotations[0].area;
    check(
      "a recorded mask threshold: the page's box mask is the Node predictor's with it (IoU ≥ 0.99) and smaller than at 0",
      thresholdIou >= 0.99 && thresholdCoco.annotations[0].area > 0 && thresholdCoco.annotations[0].area < plainArea,
      `threshold ${threshold}: IoU ${thresholdIou.toFixed(5)}, ${thresholdCoco.annotations[0].area} px against ${plainArea} px at 0`,
    );
    check('no uncaught errors in the threshold page', pageErrors.length === 0, pageErrors.join('; '));

    // Weights that record flip averaging (`convert-weights --flip-average`): the page encodes the
    // mirror image too and decodes every prompt on both, as the Node predictor does — a box, then a
    // corrective click (its mask input mirrored for the mirror's decoder).
    const flipped = join(work, 'flip.safetensors');
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'convert-weights', WEIGHTS, flipped, '--decoder-heads', '4', '--flip-average'], { cwd: ROOT });
    const flipDir = await ensureExportedModel({ weights: flipped, cacheDir: join(work, 'cache') });
    const flipManifest = JSON.parse(readFileSync(join(flipDir, 'ultrasam.json'), 'utf8')) as { flipAverage?: boolean };
    check('weights with flip averaging: the manifest records it', flipManifest.flipAverage === true, JSON.stringify(flipManifest.flipAverage));
    const flipPage = await openExport(flipDir, 'flip');
    await boxOnImage(flipPage);
    const [fnx, fny] = await screenOf(flipPage, NEGATIVE, size);
    await flipPage.mouse.click(fnx, fny, { button: 'right' });
    await flipPage.locator('#status-text', { hasText: 'Mask updated' }).waitFor({ timeout: TIMEOUT });
    const flipCoco = JSON.parse(await downloadText(flipPage, '#export-coco')) as CocoFile;
    const flipMask = decodeRle(flipCoco.annotations[0].segmentation);
    const nodeFlipMask = await nodeClickRuleMask(flipped, {}, flipCoco.annotations[0].ultrasam_prompt);
    const plainMask = await clickRuleMask(predictor, flipCoco.annotations[0].ultrasam_prompt);
    const flipIou = iou(flipMask, nodeFlipMask);
    check(
      "flip averaging: the page's box + corrective click mask is the Node predictor's with it (IoU ≥ 0.99), not the plain one",
      flipIou >= 0.99 && flipCoco.annotations[0].area > 0 && iou(nodeFlipMask, plainMask) < 0.99,
      `IoU ${flipIou.toFixed(5)}, ${flipCoco.annotations[0].area} px; IoU ${iou(nodeFlipMask, plainMask).toFixed(5)} between the Node masks with and without`,
    );
    check('no uncaught errors in the flip page', pageErrors.length === 0, pageErrors.join('; '));

    // A page with a GPU adapter loads onnxruntime-web's WebGPU build and runs the encoder on it.
    // SwiftShader (Chromium's software Vulkan) stands in for a GPU where this Chromium has it; it is
    // slow, so the bundled ultrasam-tiny (256-pixel input) is run, against its own WASM page.
    const tinyPage = await openExport(await ensureExportedModel({ cacheDir: join(work, 'cache') }), 'ultrasam-tiny');
    const tinyUrl = tinyPage.url();
    await boxOnImage(tinyPage);
    const tinyCoco = JSON.parse(await downloadText(tinyPage, '#export-coco')) as CocoFile;
    gpuBrowser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS.filter((a) => a !== '--disable-gpu'), ...SOFTWARE_WEBGPU_ARGS] });
    const gpuPage = await (await gpuBrowser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true })).newPage();
    const gpuOrtFiles = ortFilesFetched(gpuPage);
    gpuPage.on('pageerror', (e) => pageErrors.push(`WebGPU page: ${e.message}`));
    await gpuPage.goto(tinyUrl);
    await gpuPage.locator('body[data-model="ready"]').waitFor({ state: 'attached', timeout: TIMEOUT });
    const gpuInfo = (await gpuPage.locator('#model-info').textContent()) ?? '';
    if (!/webgpu/.test(gpuInfo)) {
      console.log(`       skipped the WebGPU page: this Chromium offers no WebGPU adapter with ${SOFTWARE_WEBGPU_ARGS.join(' ')} (${gpuInfo})`);
    } else {
      await boxOnImage(gpuPage);
      const gpuCoco = JSON.parse(await downloadText(gpuPage, '#export-coco')) as CocoFile;
      const gpuIou = iou(decodeRle(gpuCoco.annotations[0].segmentation), decodeRle(tinyCoco.annotations[0].segmentation));
      check(
        "WebGPU page (ultrasam-tiny): onnxruntime-web's WebGPU build, and the box's mask of the WASM page (IoU ≥ 0.99)",
        gpuOrtFiles.some((f) => f.includes('jsep')) && gpuIou >= 0.99 && gpuCoco.annotations[0].area > 0,
        `${gpuInfo}; IoU ${gpuIou.toFixed(5)}, ${gpuCoco.annotations[0].area} px; image encoder ${await gpuPage.locator('body').getAttribute('data-encode-ms')} ms (WASM page ${await tinyPage.locator('body').getAttribute('data-encode-ms')} ms)`,
      );
    }
    check('no uncaught errors in the ultrasam-tiny and WebGPU pages', pageErrors.length === 0, pageErrors.join('; '));
  } finally {
    await gpuBrowser?.close();
    await browser?.close();
    await server?.close();
    for (const other of otherServers) await other.close();
    await predictor.release();
  }
}

async function main(): Promise<number> {
  if (!existsSync(WEIGHTS) || !existsSync(IMAGE)) {
    console.log(`skipped: the SAM parity fixture is not at ${FIXTURE} (../shared is not checked out)`);
    console.log('0 passed, 0 failed');
    return 0;
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  if (!existsSync(join(builtWebDir(), 'index.html'))) {
    console.error('the web app is not built: run `npm run build:web` first');
    console.log('0 passed, 1 failed');
    return 1;
  }
  const { dir: work, cleanup } = tempDir('e2e');
  return await runChecks(() => run(work), cleanup);
}

process.exitCode = await main();
