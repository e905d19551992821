// The app: wires the file input, the model worker, the canvas, the side panels and the exports around
// one annotation history per image. Masks are cached by prompt, so undo/redo never re-run the decoder.
import { toRgb8 } from '../../src/image/convert.js';
import type { RawImage } from '../../src/image/types.js';
import { type AnnotatedObject, History, OBJECT_COLOURS, activeObject, chosenCandidate, edits, isEmptyPrompt, promptKey, toModelPrompt } from './annotations.js';
import { CandidatePicker } from './candidates.js';
import { CanvasView, type MaskLayer } from './canvas-view.js';
import { downloadBlob, maskPng } from './download.js';
import { type ExportedObject, buildCoco, measure, measurementsCsv, safeFileName } from './export-data.js';
import { type OpenedImage, openImageFile } from './load-image.js';
import { MeasurementTable } from './measurement-table.js';
import { ModelClient } from './model-client.js';
import { ObjectList } from './object-list.js';
import type { DecodeResult } from './protocol.js';
import { installShortcuts } from './shortcuts.js';
import { StatusBar } from './status-bar.js';

function $<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page lacks #${id}`);
  return element as T;
}

interface CachedMasks extends DecodeResult {
  areas: number[];
}

interface CurrentImage {
  source: OpenedImage;
  frame: number;
  rgb: RawImage;
  /** The worker's embedding key: file identity and frame. */
  key: string;
  history: History;
  masks: Map<string, CachedMasks>;
  pending: Set<string>;
  openedAt: number;
  firstMaskMs?: number;
}

const status = new StatusBar($('status-text'), $('progress'), $('alert'), $('alert-text'), $('alert-dismiss'));
const model = new ModelClient();
let modelReady: Promise<unknown> = Promise.resolve();
let current: CurrentImage | undefined;
let openSerial = 0;

const fileInput = $<HTMLInputElement>('file-input');
const frameChooser = $<HTMLLabelElement>('frame-chooser');
const frameInput = $<HTMLInputElement>('frame-input');
const stage = $<HTMLElement>('stage');

const view = new CanvasView($('view'), {
  onPoint: (point, label) => edit((s) => edits.addPoint(s, point, label)),
  onBox: (box) => edit((s) => edits.setBox(s, box)),
});
const objectList = new ObjectList($('objects'), {
  select: (id) => select(id),
  rename: (id, name) => edit((s) => edits.rename(s, id, name)),
  remove: (id) => edit((s) => edits.removeObject(s, id)),
  downloadMask: (id) => void downloadObjectMask(id),
});
const candidates = new CandidatePicker($('candidates'), (k) => edit((s) => edits.choose(s, k)));
const table = new MeasurementTable($('measurements'), $('mm-header'), $('calibration-note'));

function masksOf(image: CurrentImage, object: AnnotatedObject): CachedMasks | undefined {
  return isEmptyPrompt(object.prompt) ? undefined : image.masks.get(promptKey(object.prompt));
}

/** The objects that have a mask, with the candidate each one shows. */
function exportedObjects(image: CurrentImage): ExportedObject[] {
  return image.history.state.objects.flatMap((o) => {
    const masks = masksOf(image, o);
    if (!masks) return [];
    const k = chosenCandidate(o, masks.scores);
    return [{ name: o.name, mask: masks.masks[k], score: masks.scores[k], prompt: o.prompt }];
  });
}

function edit(change: (s: History['state']) => History['state']): void {
  if (!current) {
    status.error('Open an image first.');
    return;
  }
  current.history.apply(change(current.history.state));
  refresh();
}

function select(id: number): void {
  if (!current) return;
  current.history.replace(edits.select(current.history.state, id));
  refresh();
}

function refresh(): void {
  const image = current;
  $<HTMLButtonElement>('undo').disabled = !image?.history.canUndo;
  $<HTMLButtonElement>('redo').disabled = !image?.history.canRedo;
  for (const id of ['clear', 'add-object', 'export-coco', 'export-masks', 'export-csv']) $<HTMLButtonElement>(id).disabled = !image;
  if (!image) return;
  const state = image.history.state;
  const active = activeObject(state);
  objectList.render(state, (id) => !!masksOf(image, state.objects.find((o) => o.id === id)!));
  const layers: MaskLayer[] = state.objects.flatMap((o) => {
    const masks = masksOf(image, o);
    return masks ? [{ mask: masks.masks[chosenCandidate(o, masks.scores)], colour: OBJECT_COLOURS[o.colour], active: o.id === active.id }] : [];
  });
  view.show(layers, active.prompt);
  const activeMasks = masksOf(image, active);
  candidates.render(activeMasks?.scores, activeMasks?.areas, activeMasks ? chosenCandidate(active, activeMasks.scores) : undefined);
  table.render(measure(exportedObjects(image), image.source.pixelSpacingMm), !!image.source.pixelSpacingMm);
  stage.dataset.masks = String(layers.length);
  for (const o of state.objects) if (!isEmptyPrompt(o.prompt)) void decode(image, o.prompt);
}

async function decode(image: CurrentImage, prompt: AnnotatedObject['prompt']): Promise<void> {
  const key = promptKey(prompt);
  if (image.masks.has(key) || image.pending.has(key)) return;
  image.pending.add(key);
  try {
    await modelReady;
    const result = await model.decode(image.key, toModelPrompt(prompt));
    const areas = result.masks.map((m) => m.reduce((a, v) => a + v, 0));
    image.masks.set(key, { ...result, areas });
    if (image !== current) return;
    // For benchmarks and tests: the decoder time of the latest mask and how many masks came back.
    document.body.dataset.decodeMs = result.ms.toFixed(0);
    document.body.dataset.decodes = String(Number(document.body.dataset.decodes ?? 0) + 1);
    if (image.firstMaskMs === undefined) {
      image.firstMaskMs = performance.now() - image.openedAt;
      document.body.dataset.firstMaskMs = image.firstMaskMs.toFixed(0);
      status.progress(`First mask ${(image.firstMaskMs / 1000).toFixed(2)} s after opening the image (decoder ${result.ms.toFixed(0)} ms)`, null);
    } else status.progress(`Mask updated (decoder ${result.ms.toFixed(0)} ms)`, null);
    refresh();
  } catch (error) {
    if (image === current) status.error(`Could not segment: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    image.pending.delete(key);
  }
}

async function showFrame(source: OpenedImage, frame: number, serial: number, openedAt: number): Promise<void> {
  status.progress(`Decoding ${source.name}${source.frames > 1 ? ` frame ${frame + 1}` : ''}…`);
  const rgb = toRgb8(await source.frame(frame));
  if (serial !== openSerial) return;
  const key = `${source.identity}|${frame}`;
  const image: CurrentImage = { source, frame, rgb, key, history: new History(), masks: new Map(), pending: new Set(), openedAt };
  current = image;
  delete document.body.dataset.firstMaskMs;
  view.setImage(rgb);
  $('drop-hint').hidden = true;
  refresh();
  await modelReady;
  const encoded = await model.encode(key, rgb, (step, fraction) => {
    if (image === current) status.progress(`Encoder: ${step}`, fraction);
  });
  if (image === current) {
    stage.dataset.encodedFrame = String(frame + 1);
    document.body.dataset.encodeMs = encoded.ms.toFixed(0);
  }
  if (image === current && image.firstMaskMs === undefined) {
    status.progress(encoded.cached ? 'Image ready (embedding from cache)' : `Image encoded in ${(encoded.ms / 1000).toFixed(2)} s — place a prompt`, null);
  }
}

async function openFile(file: File): Promise<void> {
  const serial = ++openSerial;
  const openedAt = performance.now();
  status.clearError();
  status.progress(`Opening ${file.name}…`);
  try {
    const source = await openImageFile(file);
    if (serial !== openSerial) return;
    frameChooser.hidden = source.frames <= 1;
    frameInput.max = String(source.frames);
    frameInput.value = '1';
    $('frame-count').textContent = String(source.frames);
    delete stage.dataset.encodedFrame;
    await showFrame(source, 0, serial, openedAt);
  } catch (error) {
    if (serial !== openSerial) return;
    // The previous image (if any) stays open and usable.
    status.progress(current ? `Still showing ${current.source.name}` : 'No image open', null);
    status.error(error instanceof Error ? error.message : String(error));
  }
}

async function downloadObjectMask(id: number): Promise<void> {
  const image = current;
  const object = image?.history.state.objects.find((o) => o.id === id);
  const masks = image && object ? masksOf(image, object) : undefined;
  if (!image || !object || !masks) return;
  const blob = await maskPng(masks.masks[chosenCandidate(object, masks.scores)], image.rgb.width, image.rgb.height);
  downloadBlob(blob, `${safeFileName(image.source.name.replace(/\.[^.]*$/, ''))}_${safeFileName(object.name)}.png`);
}

function baseName(image: CurrentImage): string {
  return safeFileName(image.source.name.replace(/\.[^.]*$/, '')) + (image.source.frames > 1 ? `_frame${image.frame + 1}` : '');
}

function exportWith(what: string, run: (image: CurrentImage, objects: ExportedObject[]) => void | Promise<void>): void {
  const image = current;
  if (!image) return;
  const objects = exportedObjects(image);
  if (objects.length === 0) {
    status.error(`Nothing to export as ${what}: no object has a mask yet.`);
    return;
  }
  Promise.resolve(run(image, objects)).catch((error: unknown) => status.error(`Export failed: ${error instanceof Error ? error.message : String(error)}`));
}

$('export-coco').addEventListener('click', () =>
  exportWith('COCO JSON', (image, objects) => {
    const coco = buildCoco(
      { fileName: image.source.name, width: image.rgb.width, height: image.rgb.height, frame: image.source.frames > 1 ? image.frame : undefined, pixelSpacingMm: image.source.pixelSpacingMm },
      objects,
    );
    downloadBlob(new Blob([JSON.stringify(coco)], { type: 'application/json' }), `${baseName(image)}_coco.json`);
  }),
);
$('export-masks').addEventListener('click', () =>
  exportWith('mask PNGs', async (image) => {
    for (const o of image.history.state.objects) if (masksOf(image, o)) await downloadObjectMask(o.id);
  }),
);
$('export-csv').addEventListener('click', () =>
  exportWith('CSV', (image, objects) => {
    const csv = measurementsCsv(measure(objects, image.source.pixelSpacingMm));
    downloadBlob(new Blob([csv], { type: 'text/csv' }), `${baseName(image)}_measurements.csv`);
  }),
);
$('undo').addEventListener('click', () => current?.history.undo() && refresh());
$('redo').addEventListener('click', () => current?.history.redo() && refresh());
$('clear').addEventListener('click', () => edit(edits.clearPrompt));
$('add-object').addEventListener('click', () => edit(edits.addObject));

fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0];
  fileInput.value = '';
  if (file) void openFile(file);
});
frameInput.addEventListener('change', () => {
  const image = current;
  const frame = Number(frameInput.value) - 1;
  if (!image || !Number.isInteger(frame) || frame < 0 || frame >= image.source.frames) {
    status.error(`Frame ${frameInput.value} does not exist (1–${image?.source.frames ?? 1}).`);
    return;
  }
  const serial = ++openSerial;
  showFrame(image.source, frame, serial, performance.now()).catch((error: unknown) => status.error(error instanceof Error ? error.message : String(error)));
});
stage.addEventListener('dragover', (e) => {
  e.preventDefault();
  stage.classList.add('dragging');
});
stage.addEventListener('dragleave', () => stage.classList.remove('dragging'));
stage.addEventListener('drop', (e) => {
  e.preventDefault();
  stage.classList.remove('dragging');
  const file = e.dataTransfer?.files[0];
  if (file) void openFile(file);
});

installShortcuts({
  undo: () => current?.history.undo() && refresh(),
  redo: () => current?.history.redo() && refresh(),
  clear: () => current && edit(edits.clearPrompt),
  addObject: () => current && edit(edits.addObject),
  cycleObject: (step) => {
    if (!current) return;
    const { objects, activeId } = current.history.state;
    const i = objects.findIndex((o) => o.id === activeId);
    select(objects[(i + step + objects.length) % objects.length].id);
  },
  choose: (k) => {
    const image = current;
    const masks = image ? masksOf(image, activeObject(image.history.state)) : undefined;
    if (masks && k < masks.scores.length) edit((s) => edits.choose(s, k));
  },
  open: () => fileInput.click(),
});

window.addEventListener('error', (e) => status.error(`Unexpected error: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => status.error(`Unexpected error: ${e.reason instanceof Error ? e.reason.message : String(e.reason)}`));

refresh();
const base = new URL('./', document.baseURI);
modelReady = model
  .init(new URL('model/', base).href, new URL('ort/', base).href, (step, fraction) => status.progress(`Model: ${step}`, fraction))
  .then((info) => {
    $('model-info').textContent = `Model: ${info.name} (${info.ultrasam ? 'UltraSam' : 'SAM'}), ${info.backend}${info.backend === 'wasm' ? ` × ${info.threads} thread(s)` : ''}, ${(info.bytes / 1e6).toFixed(1)} MB`;
    document.body.dataset.model = 'ready';
    if (!current) status.progress('Model ready — open an image', null);
  })
  .catch((error: unknown) => {
    $('model-info').textContent = 'Model: failed to load';
    status.error(`The model could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  });
modelReady.catch(() => undefined);
