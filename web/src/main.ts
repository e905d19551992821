// The app: wires the file input, the model worker, the canvas, the side panels and the exports around
// one annotation history per image (per frame of a multi-frame DICOM). Masks are cached by prompt, so
// undo/redo never re-run the decoder; corrective clicks follow SAM's interactive rule (annotations.ts,
// mask_cache.ts). Segment everything adds one object per generated mask; the cine panel propagates
// the active object's mask through the frames and plays the clip with it.
import { DEFAULT_MIN_SCORE, type FrameMask, type PropagationCarry, propagate } from '../../src/cine/propagate.js';
import { trackCsv, trackRows } from '../../src/cine/track_table.js';
import { toRgb8 } from '../../src/image/convert.js';
import type { LonePointOutput } from '../../src/eval/click_rule.js';
import { EVERYTHING_DEFAULTS } from '../../src/model/everything.js';
import type { RawImage } from '../../src/image/types.js';
import { type AnnotatedObject, History, OBJECT_COLOURS, activeObject, chosenCandidate, edits, isEmptyPrompt, toModelPrompt } from './annotations.js';
import { CandidatePicker } from './candidates.js';
import { CanvasView, type MaskLayer } from './canvas_view.js';
import { downloadBlob, maskPng } from './download.js';
import { type ExportedObject, buildCoco, measure, measurementsCsv, safeFileName } from './export_data.js';
import { type OpenedImage, openImageFile } from './load_image.js';
import { type CachedMasks, MaskCache, outputLogits } from './mask_cache.js';
import { MeasurementTable } from './measurement_table.js';
import { ModelClient } from './model_client.js';
import { ObjectList } from './object_list.js';
import { installShortcuts } from './shortcuts.js';
import { StatusBar } from './status_bar.js';

function $<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page lacks #${id}`);
  return element as T;
}

/** The annotations of one frame, kept while its file is open. */
interface FrameState {
  history: History;
  masks: MaskCache;
}

/** A propagated mask through the frames of the open file. */
interface Track {
  objectName: string;
  masks: (FrameMask | undefined)[];
  /** Frames propagated from (the user's prompts): a later propagation stops before them. */
  corrected: Set<number>;
  stops: string[];
}

interface OpenFile {
  source: OpenedImage;
  frames: Map<number, FrameState>;
  track?: Track;
}

interface CurrentImage {
  opened: OpenFile;
  source: OpenedImage;
  frame: number;
  rgb: RawImage;
  /** The worker's embedding key: file identity and frame. */
  key: string;
  history: History;
  masks: MaskCache;
  openedAt: number;
  firstMaskMs?: number;
}

const status = new StatusBar($('status-text'), $('progress'), $('alert'), $('alert-text'), $('alert-dismiss'));
const model = new ModelClient();
let modelReady: Promise<unknown> = Promise.resolve();
/** The model's rule for a lone click (its weights' record; SAM's candidates until the model says). */
let lonePoint: LonePointOutput = 'candidates';
let current: CurrentImage | undefined;
let openSerial = 0;

const fileInput = $<HTMLInputElement>('file-input');
const frameChooser = $<HTMLLabelElement>('frame-chooser');
const frameInput = $<HTMLInputElement>('frame-input');
const stage = $<HTMLElement>('stage');

/** Colour of the propagated track's mask. */
const TRACK_COLOUR = [255, 255, 255] as const;
const refineBox = $<HTMLInputElement>('refine');
let playing: ReturnType<typeof setInterval> | undefined;

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
  return isEmptyPrompt(object.prompt) ? undefined : image.masks.get(object.prompt, refineBox.checked);
}

/** The candidate an object shows. */
function shown(object: AnnotatedObject, masks: CachedMasks): number {
  return chosenCandidate(object, masks.scores, refineBox.checked, lonePoint);
}

/** The objects that have a mask, with the candidate each one shows. */
function exportedObjects(image: CurrentImage): ExportedObject[] {
  return image.history.state.objects.flatMap((o) => {
    const masks = masksOf(image, o);
    if (!masks) return [];
    const k = shown(o, masks);
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
  for (const id of ['clear', 'add-object', 'export-coco', 'export-masks', 'export-csv', 'everything', 'propagate']) $<HTMLButtonElement>(id).disabled = !image;
  $<HTMLButtonElement>('export-track').disabled = !image?.opened.track;
  if (!image) return;
  const state = image.history.state;
  const active = activeObject(state);
  objectList.render(
    state,
    (id) =>
      !!masksOf(
        image,
        state.objects.find((o) => o.id === id)!,
      ),
  );
  const layers: MaskLayer[] = state.objects.flatMap((o) => {
    const masks = masksOf(image, o);
    return masks ? [{ mask: masks.masks[shown(o, masks)], colour: OBJECT_COLOURS[o.colour], active: o.id === active.id }] : [];
  });
  const tracked = image.opened.track?.masks[image.frame];
  if (tracked) layers.unshift({ mask: tracked.mask, colour: TRACK_COLOUR, active: false });
  stage.dataset.trackMask = tracked ? '1' : '0';
  renderTrackInfo(image);
  view.show(layers, active.prompt);
  const activeMasks = masksOf(image, active);
  candidates.render(activeMasks?.scores, activeMasks?.areas, activeMasks ? shown(active, activeMasks) : undefined);
  table.render(measure(exportedObjects(image), image.source.pixelSpacingMm), !!image.source.pixelSpacingMm);
  stage.dataset.masks = String(layers.length - (tracked ? 1 : 0));
  for (const o of state.objects) if (!isEmptyPrompt(o.prompt)) void decode(image, o.prompt);
}

async function decode(image: CurrentImage, prompt: AnnotatedObject['prompt']): Promise<void> {
  const refine = refineBox.checked;
  if (image.masks.get(prompt, refine) || image.masks.isPending(prompt, refine)) return;
  try {
    const result = await image.masks.resolve(prompt, refine, async (input) => {
      await modelReady;
      // A frame shown while playing is not encoded yet; an encoded one returns at once.
      await model.encode(image.key, image.rgb);
      return model.decode(image.key, input);
    });
    if (image !== current) return;
    // For benchmarks and tests: the decoder time of the latest mask and how many masks came back.
    document.body.dataset.decodeMs = result.ms.toFixed(0);
    document.body.dataset.decoderRunMs = result.decoderMs.toFixed(0);
    document.body.dataset.decodes = String(Number(document.body.dataset.decodes ?? 0) + 1);
    if (image.firstMaskMs === undefined) {
      image.firstMaskMs = performance.now() - image.openedAt;
      document.body.dataset.firstMaskMs = image.firstMaskMs.toFixed(0);
      status.progress(`First mask ${(image.firstMaskMs / 1000).toFixed(2)} s after opening the image (decoder ${result.ms.toFixed(0)} ms)`, null);
    } else status.progress(`Mask updated (decoder ${result.ms.toFixed(0)} ms)`, null);
    refresh();
  } catch (error) {
    if (image === current) status.error(`Could not segment: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Shows a frame with its annotations; `encode` false (playing) leaves the encoder until a prompt needs it. */
async function showFrame(opened: OpenFile, frame: number, serial: number, openedAt: number, encode = true): Promise<void> {
  const { source } = opened;
  if (encode) status.progress(`Decoding ${source.name}${source.frames > 1 ? ` frame ${frame + 1}` : ''}…`);
  const rgb = toRgb8(await source.frame(frame));
  if (serial !== openSerial) return;
  const key = `${source.identity}|${frame}`;
  let state = opened.frames.get(frame);
  if (!state) {
    state = { history: new History(), masks: new MaskCache(() => lonePoint) };
    opened.frames.set(frame, state);
  }
  const image: CurrentImage = { opened, source, frame, rgb, key, ...state, openedAt };
  current = image;
  stage.dataset.frame = String(frame + 1);
  frameInput.value = String(frame + 1);
  delete document.body.dataset.firstMaskMs;
  view.setImage(rgb);
  $('drop-hint').hidden = true;
  refresh();
  if (!encode) return;
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
    stopPlaying();
    frameChooser.hidden = source.frames <= 1;
    $('cine').hidden = source.frames <= 1;
    frameInput.max = String(source.frames);
    frameInput.value = '1';
    $('frame-count').textContent = String(source.frames);
    delete stage.dataset.encodedFrame;
    await showFrame({ source, frames: new Map() }, 0, serial, openedAt);
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
  const blob = await maskPng(masks.masks[shown(object, masks)], image.rgb.width, image.rgb.height);
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
  stopPlaying();
  const serial = ++openSerial;
  showFrame(image.opened, frame, serial, performance.now()).catch((error: unknown) => status.error(error instanceof Error ? error.message : String(error)));
});
refineBox.addEventListener('change', () => refresh());

function numberField(id: string, what: string, check: (v: number) => boolean): number {
  const input = $<HTMLInputElement>(id);
  const value = Number(input.value);
  if (input.value.trim() === '' || !check(value)) throw new Error(`${what}: '${input.value}' is not allowed`);
  return value;
}

async function segmentEverything(): Promise<void> {
  const image = current;
  if (!image) return;
  const button = $<HTMLButtonElement>('everything');
  button.disabled = true;
  try {
    const unit = (v: number) => v >= 0 && v <= 1;
    const options = {
      pointsPerSide: numberField('everything-points', 'Points per side', (v) => Number.isInteger(v) && v >= 1 && v <= 64),
      predIouThresh: numberField('everything-iou', 'Predicted IoU threshold', unit),
      stabilityScoreThresh: numberField('everything-stability', 'Stability threshold', unit),
      boxNmsThresh: numberField('everything-nms', 'Box NMS threshold', unit),
    };
    await modelReady;
    await model.encode(image.key, image.rgb);
    const result = await model.everything(image.key, image.rgb, options, (stage, fraction) => {
      if (image === current) status.progress(stage, fraction);
    });
    if (image !== current) return;
    const found = result.masks.map((m) => ({ prompt: { points: [m.point] as const, labels: [1], corrections: [] }, chosen: m.output }));
    image.history.apply(edits.addObjects(image.history.state, found, 'auto'));
    stage.dataset.everything = String(result.masks.length);
    const none = result.masks.length === 0 ? ' — none passed the thresholds: lower them to see weaker masks' : '';
    status.progress(`Segment everything: ${result.masks.length} mask(s) from ${result.points} points in ${(result.ms / 1000).toFixed(1)} s${none}`, null);
    refresh();
  } catch (error) {
    status.error(`Segment everything failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    button.disabled = !current;
  }
}

function renderTrackInfo(image: CurrentImage): void {
  const track = image.opened.track;
  const info = $('track-info');
  if (!track) return;
  const kept = track.masks.filter(Boolean).length;
  const here = track.masks[image.frame];
  const spacing = image.source.pixelSpacingMm;
  const lines = [`Track of “${track.objectName}”: ${kept} of ${track.masks.length} frames have a mask.`];
  if (here) {
    const mm = spacing ? ` = ${(here.area * spacing[0] * spacing[1]).toFixed(2)} mm²` : '';
    lines.push(`Frame ${image.frame + 1}: ${here.area} px${mm}, score ${here.score.toFixed(3)} (${here.source}).`);
  } else lines.push(`Frame ${image.frame + 1}: no mask.`);
  info.textContent = [...lines, ...track.stops].join(' ');
  stage.dataset.trackFrames = String(kept);
}

async function propagateFromHere(): Promise<void> {
  const image = current;
  if (!image) return;
  const active = activeObject(image.history.state);
  const masks = masksOf(image, active);
  if (!masks) {
    status.error('Propagate: give the active object a prompt on this frame first (and wait for its mask).');
    return;
  }
  stopPlaying();
  const button = $<HTMLButtonElement>('propagate');
  button.disabled = true;
  try {
    const minScore = numberField('min-score', 'Stop below score', (v) => v >= 0 && v <= 1);
    const carry = $<HTMLSelectElement>('carry').value as PropagationCarry;
    const { opened } = image;
    const frames = image.source.frames;
    const track: Track = opened.track ?? { objectName: active.name, masks: new Array(frames).fill(undefined), corrected: new Set(), stops: [] };
    const start = image.frame;
    const candidate = shown(active, masks);
    const userPrompt = toModelPrompt(active.prompt);
    let frameKey = image.key;
    const result = await propagate(
      {
        setFrame: async (f) => {
          frameKey = `${image.source.identity}|${f}`;
          status.progress(`Propagating: frame ${f + 1} of ${frames}`, null);
          await model.encode(frameKey, f === start ? image.rgb : toRgb8(await image.source.frame(f)));
        },
        // The prompted frame (propagate passes `userPrompt` as given) starts from the mask the object
        // shows: its prompt as the click rule decoded it, its candidate. Other frames take the
        // single-mask output.
        predict: async (prompt) => {
          const prompted = prompt === userPrompt;
          const out = prompted ? masks : await model.decode(frameKey, prompt);
          const k = prompted ? candidate : 0;
          return { masks: [out.masks[k]], scores: [out.scores[k]], lowResLogits: outputLogits(out, k) };
        },
      },
      {
        frameCount: frames,
        width: image.rgb.width,
        height: image.rgb.height,
        frame: start,
        prompt: userPrompt,
        minScore,
        carry,
        stopAt: (f) => f !== start && track.corrected.has(f),
      },
    );
    // Frames between this one and the nearest corrected frame each way take the new result.
    track.masks[start] = result.masks[start];
    for (const step of [1, -1]) {
      for (let f = start + step; f >= 0 && f < frames && !track.corrected.has(f); f += step) track.masks[f] = result.masks[f];
    }
    track.corrected.add(start);
    track.objectName = active.name;
    track.stops = result.stops.map((s) => s.message);
    opened.track = track;
    status.progress(`Propagated from frame ${start + 1}: ${result.masks.filter(Boolean).length} frame(s) reached${result.stops.length ? `; ${track.stops.join('; ')}` : ''}`, null);
    if (image === current) refresh();
  } catch (error) {
    status.error(`Propagation failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    button.disabled = !current;
  }
}

function stopPlaying(): void {
  if (playing !== undefined) clearInterval(playing);
  playing = undefined;
  const play = $<HTMLButtonElement>('play');
  play.textContent = 'Play';
  play.setAttribute('aria-pressed', 'false');
}

function togglePlay(): void {
  const image = current;
  if (playing !== undefined || !image || image.source.frames <= 1) {
    stopPlaying();
    return;
  }
  const play = $<HTMLButtonElement>('play');
  play.textContent = 'Pause';
  play.setAttribute('aria-pressed', 'true');
  let busy = false;
  playing = setInterval(() => {
    const now = current;
    if (!now || busy) return;
    busy = true;
    const next = (now.frame + 1) % now.source.frames;
    showFrame(now.opened, next, ++openSerial, performance.now(), false)
      .catch((error: unknown) => {
        stopPlaying();
        status.error(error instanceof Error ? error.message : String(error));
      })
      .finally(() => (busy = false));
  }, 250);
}

// The fields start at the library's defaults (SAM's, for segment everything).
$<HTMLInputElement>('everything-points').value = String(EVERYTHING_DEFAULTS.pointsPerSide);
$<HTMLInputElement>('everything-iou').value = String(EVERYTHING_DEFAULTS.predIouThresh);
$<HTMLInputElement>('everything-stability').value = String(EVERYTHING_DEFAULTS.stabilityScoreThresh);
$<HTMLInputElement>('everything-nms').value = String(EVERYTHING_DEFAULTS.boxNmsThresh);
$<HTMLInputElement>('min-score').value = String(DEFAULT_MIN_SCORE);
$('everything').addEventListener('click', () => void segmentEverything());
$('propagate').addEventListener('click', () => void propagateFromHere());
$('play').addEventListener('click', () => togglePlay());
$('export-track').addEventListener('click', () => {
  const image = current;
  const track = image?.opened.track;
  if (!image || !track) return;
  const csv = trackCsv(trackRows(track.masks, image.source.frameTimesMs, image.source.pixelSpacingMm));
  downloadBlob(new Blob([csv], { type: 'text/csv' }), `${safeFileName(image.source.name.replace(/\.[^.]*$/, ''))}_track.csv`);
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
// ?encoder=fp32 or ?encoder=int8 picks the image encoder; without it the export decides (int8 after `ultrasam app --int8`).
const askedEncoder = new URLSearchParams(location.search).get('encoder') ?? undefined;
modelReady = model
  .init(new URL('model/', base).href, new URL('ort/', base).href, askedEncoder, (step, fraction) => status.progress(`Model: ${step}`, fraction))
  .then((info) => {
    $('model-info').textContent =
      `Model: ${info.name} (${info.ultrasam ? 'UltraSam' : 'SAM'}), encoder ${info.encoder}, ${info.backend}${info.backend === 'wasm' ? ` × ${info.threads} thread(s)` : ''}, ${(info.bytes / 1e6).toFixed(1)} MB`;
    lonePoint = info.lonePoint;
    // The model's own thresholds where its weights record them (SAM's were set for ViT-H).
    const everything = { ...EVERYTHING_DEFAULTS, ...info.everything };
    $<HTMLInputElement>('everything-points').value = String(everything.pointsPerSide);
    $<HTMLInputElement>('everything-iou').value = String(everything.predIouThresh);
    $<HTMLInputElement>('everything-stability').value = String(everything.stabilityScoreThresh);
    $<HTMLInputElement>('everything-nms').value = String(everything.boxNmsThresh);
    document.body.dataset.model = 'ready';
    if (!current) status.progress('Model ready — open an image', null);
  })
  .catch((error: unknown) => {
    $('model-info').textContent = 'Model: failed to load';
    document.body.dataset.model = 'failed';
    status.error(`The model could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  });
modelReady.catch(() => undefined);
