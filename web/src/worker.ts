// The model worker: onnxruntime-web sessions for the exported encoder (strip and tail graphs, run on
// the strips the image reaches: src/model/strip_encoder.ts) and decoder, and an embedding
// cache per image key, so that prompts on an image already seen never re-run the encoder (nor the
// decoder's per-image part, run at the image's first prompt). Requests are handled one after the
// other, so a decode sent while its image is still encoding waits for it. Weights that record flip
// averaging get the mirror image encoded too and every prompt decoded on both (src/model/flip.ts).
import type * as Ort from 'onnxruntime-web';
import { generateEverything } from '../../src/model/everything.js';
import { averageWithMirror, mirrorImage, mirrorLowRes, mirrorPrompt } from '../../src/model/flip.js';
import { EXPORT_FORMAT_VERSION, type ExportManifest, chooseDecoder, chooseEncoder, decoderFiles, encoderFileList, perImageFeeds } from '../../src/model/export_format.js';
import type { LowResPrediction } from '../../src/model/prediction.js';
import { postprocessMasks, warmUpPostprocess } from '../../src/model/postprocess.js';
import { preprocessImage } from '../../src/model/preprocess.js';
import { type Prompt, type Size, encodePrompt } from '../../src/model/prompts.js';
import { refinementInput } from '../../src/model/refine.js';
import { type StripSessions, encodeInStrips, encoderSessions } from '../../src/model/strip_encoder.js';
import type { DecodeResult, EncodeResult, EverythingResult, ModelInfo, WorkerRequest, WorkerResponse } from './protocol.js';

/** One view of an image that prompts are decoded against. */
interface View {
  embedding: Ort.Tensor;
  /** The encoder's other outputs (a pixel branch's fine_features), fed to the decoder beside decoder_image.onnx's. */
  encoded: Record<string, Ort.Tensor>;
  /** decoder_image.onnx's outputs for this view (run at its first prompt). */
  decoderImage?: Record<string, Ort.Tensor>;
}

interface Embedded extends View {
  inputSize: Size;
  originalSize: Size;
  /** The mirror image's view, with flip averaging. */
  mirror?: View;
}

interface Model {
  manifest: ExportManifest;
  /** The encoder's strip and tail graphs (files.encoder or files.encoderInt8). */
  encoder: { strips: StripSessions; tail: Ort.InferenceSession };
  decoderImage: Ort.InferenceSession;
  /** The decoder files by name (decoder.onnx and any built for fewer slots, see chooseDecoder). */
  decoders: Map<string, Ort.InferenceSession>;
}

/** Embeddings kept (a ViT-B one is 4 MB); the oldest is dropped first. */
const EMBEDDING_CACHE_SIZE = 8;

let model: Model | undefined;
/** onnxruntime-web, loaded by init (see loadOnnxRuntime). */
let ort: typeof Ort;
const embeddings = new Map<string, Embedded>();
let queue: Promise<void> = Promise.resolve();

const post = (message: WorkerResponse, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);

async function fetchWithProgress(url: string, onFraction: (f: number) => void): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get('Content-Length')) || 0;
  if (!response.body || !total) return new Uint8Array(await response.arrayBuffer());
  const bytes = new Uint8Array(total);
  const reader = response.body.getReader();
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes.set(value, received);
    received += value.length;
    onFraction(received / total);
  }
  return bytes;
}

async function webGpuAvailable(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

/**
 * onnxruntime-web's build with WebGPU where the browser offers a GPU adapter, else its CPU-only build:
 * the WebGPU build's WebAssembly file is about twice the size and slower to compile, and a page
 * without a GPU would download it for nothing (docs/benchmarks.md, issue 13).
 */
async function loadOnnxRuntime(): Promise<string[]> {
  const gpu = await webGpuAvailable();
  ort = gpu ? await import('onnxruntime-web') : await import('onnxruntime-web/wasm');
  return gpu ? ['webgpu', 'wasm'] : ['wasm'];
}

/** The made-up image size and rounds of warmUpPostprocess at load. */
const WARM_UP_IMAGE: Size = [480, 640];
const WARM_UP_ROUNDS = 4;

async function init(id: number, modelUrl: string, ortUrl: string, encoderPrecision: string | undefined): Promise<ModelInfo> {
  const backends = await loadOnnxRuntime();
  ort.env.wasm.wasmPaths = ortUrl;
  // Threads need SharedArrayBuffer, which only a cross-origin-isolated page has.
  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
  const manifestResponse = await fetch(`${modelUrl}ultrasam.json`);
  if (!manifestResponse.ok) throw new Error(`no model manifest at ${modelUrl}ultrasam.json (HTTP ${manifestResponse.status})`);
  const manifest = (await manifestResponse.json()) as ExportManifest;
  if (manifest.format !== 'ultrasam-onnx') throw new Error('the model manifest is not an ultrasam ONNX export');
  if (manifest.version !== EXPORT_FORMAT_VERSION) {
    throw new Error(`the model was exported in format version ${manifest.version}; this app reads version ${EXPORT_FORMAT_VERSION} (export it again)`);
  }
  if (manifest.maskThreshold !== undefined && !Number.isFinite(manifest.maskThreshold)) {
    throw new Error(`the model manifest's maskThreshold must be a number, got ${JSON.stringify(manifest.maskThreshold)}`);
  }
  if (manifest.flipAverage !== undefined && typeof manifest.flipAverage !== 'boolean') {
    throw new Error(`the model manifest's flipAverage must be true or false, got ${JSON.stringify(manifest.flipAverage)}`);
  }
  if (typeof manifest.files.decoderWeights !== 'string' || manifest.files.decoderWeights === '') {
    throw new Error(`the model manifest names no decoder weights file (files.decoderWeights, got ${JSON.stringify(manifest.files.decoderWeights)}): export the model again`);
  }
  const encoderFiles = chooseEncoder(manifest, encoderPrecision);
  // The decoder graphs (small), then their weights, one copy for all of them (ONNX external data).
  const decoders = decoderFiles(manifest);
  const graphFiles = [manifest.files.decoderImage, ...decoders.map((d) => d.file)];
  const graphBytes: Uint8Array[] = [];
  for (const [i, file] of graphFiles.entries()) {
    graphBytes.push(await fetchWithProgress(`${modelUrl}${file}`, (f) => post({ type: 'progress', id, stage: 'downloading the decoder', fraction: (i + f) / graphFiles.length })));
  }
  const [decoderImageBytes, ...decoderBytes] = graphBytes;
  const decoderWeights = await fetchWithProgress(`${modelUrl}${manifest.files.decoderWeights}`, (f) => post({ type: 'progress', id, stage: 'downloading the decoder weights', fraction: f }));
  // The encoder's files (encoderSessions reads them all before it starts a session).
  const encoderFileCount = encoderFileList(encoderFiles.files).length;
  let encoderFilesRead = 0;
  const readEncoderFile = async (file: string) => {
    const bytes = await fetchWithProgress(`${modelUrl}${file}`, (f) => post({ type: 'progress', id, stage: 'downloading the encoder', fraction: (encoderFilesRead + f) / encoderFileCount }));
    if (++encoderFilesRead === encoderFileCount) post({ type: 'progress', id, stage: `starting onnxruntime (${backends[0]})` });
    return bytes;
  };
  const options: Ort.InferenceSession.SessionOptions = { executionProviders: backends, graphOptimizationLevel: 'all' };
  const { bytes: encoderBytes, ...encoder } = await encoderSessions(encoderFiles.files, readEncoderFile, (graph, externalData) => ort.InferenceSession.create(graph, { ...options, externalData }));
  const decoderOptions: Ort.InferenceSession.SessionOptions = { ...options, executionProviders: ['wasm'], externalData: [{ path: manifest.files.decoderWeights, data: decoderWeights }] };
  const decoderImage = await ort.InferenceSession.create(decoderImageBytes, decoderOptions);
  const sessions = new Map<string, Ort.InferenceSession>();
  for (const [i, { file }] of decoders.entries()) sessions.set(file, await ort.InferenceSession.create(decoderBytes[i], decoderOptions));
  model = { manifest, encoder, decoderImage, decoders: sessions };
  post({ type: 'progress', id, stage: 'warming up' });
  warmUpPostprocess(manifest.decoder.lowResSize, manifest.config.imageEncoder.imgSize, WARM_UP_IMAGE, WARM_UP_ROUNDS);
  await warmUpDecoders(model);
  return {
    name: manifest.config.name,
    backend: backends[0],
    encoder: encoderFiles.precision,
    threads: ort.env.wasm.numThreads ?? 1,
    ultrasam: manifest.ultrasam,
    slots: manifest.decoder.slots,
    everything: manifest.everything ?? {},
    lonePoint: manifest.lonePoint ?? 'candidates',
    bytes: encoderBytes + [...graphBytes, decoderWeights].reduce((sum, b) => sum + b.length, 0),
  };
}

/**
 * One run of decoder_image and of every decoder on zeros (empty slots, a mask prompt of zeros), outputs dropped: a
 * session's first run is slower than its next ones, and without this a page's first mask and first
 * corrective click pay for it (docs/benchmarks.md). A decoder that also reads encoder outputs other
 * than the embedding (a pixel branch's features) is left cold.
 */
async function warmUpDecoders({ manifest, decoderImage, decoders }: Model): Promise<void> {
  const { imgSize, patchSize, outChans } = manifest.config.imageEncoder;
  const grid = imgSize / patchSize;
  const side = manifest.decoder.lowResSize;
  const perImage = await decoderImage.run({ image_embedding: new ort.Tensor('float32', new Float32Array(outChans * grid * grid), [1, outChans, grid, grid]) });
  for (const { file, slots } of decoderFiles(manifest)) {
    const decoder = decoders.get(file)!;
    const feeds = decoderFeeds(manifest, decoder, slots, perImage, { coords: [], labels: [] }, new Float32Array(side * side));
    if (decoder.inputNames.every((name) => name in feeds)) await decoder.run(feeds);
  }
}

/**
 * One decoder run's feeds: the per-image tensors the decoder takes, the prompt's points in its
 * `slots` slots (the rest empty), and the mask input (zeros and switched off without one).
 */
function decoderFeeds(
  manifest: ExportManifest,
  decoder: Ort.InferenceSession,
  slots: number,
  perImage: Record<string, Ort.Tensor>,
  points: { coords: ArrayLike<number>; labels: ArrayLike<number> },
  maskInput?: Float32Array,
): Record<string, Ort.Tensor> {
  const side = manifest.decoder.lowResSize;
  const coords = new Float32Array(slots * 2);
  const labels = new Float32Array(slots).fill(manifest.decoder.emptySlotLabel);
  coords.set(points.coords);
  labels.set(points.labels);
  return {
    ...perImageFeeds(perImage, decoder.inputNames),
    point_coords: new ort.Tensor('float32', coords, [1, slots, 2]),
    point_labels: new ort.Tensor('float32', labels, [1, slots]),
    mask_input: new ort.Tensor('float32', maskInput ?? new Float32Array(side * side), [1, 1, side, side]),
    has_mask_input: new ort.Tensor('float32', new Float32Array([maskInput ? 1 : 0]), [1]),
  };
}

function requireModel(): Model {
  if (!model) throw new Error('the model is not loaded');
  return model;
}

async function encode(id: number, key: string, request: WorkerRequest & { type: 'encode' }): Promise<EncodeResult> {
  const start = performance.now();
  const cached = embeddings.get(key);
  if (cached) {
    embeddings.delete(key);
    embeddings.set(key, cached); // most recently used last
    return { ms: performance.now() - start, cached: true };
  }
  const { manifest, encoder } = requireModel();
  post({ type: 'progress', id, stage: 'preparing the image', fraction: 0 });
  const pre = preprocessImage(request.image, manifest.config);
  // onnxruntime calls with no progress of their own: the page shows a busy bar for them.
  post({ type: 'progress', id, stage: 'running the image encoder' });
  const run = async (tensor: Float32Array): Promise<View> => {
    const { embedding, ...encoded } = await encodeInStrips(ort, encoder.strips, encoder.tail, tensor, pre.inputSize[0], manifest.config.imageEncoder);
    return { embedding, encoded };
  };
  const embedded: Embedded = { ...(await run(pre.tensor)), inputSize: pre.inputSize, originalSize: pre.originalSize };
  if (manifest.flipAverage) embedded.mirror = await run(preprocessImage(mirrorImage(request.image), manifest.config).tensor);
  embeddings.set(key, embedded);
  while (embeddings.size > EMBEDDING_CACHE_SIZE) embeddings.delete(embeddings.keys().next().value as string);
  post({ type: 'progress', id, stage: 'image encoded', fraction: 1 });
  return { ms: performance.now() - start, cached: false };
}

/**
 * The exported decoder's answer to a prompt on an image: every output's low-resolution logits
 * [K, L, L] and scores, averaged with the mirror image's under flip averaging. A mask input goes to
 * the decoder itself, so a corrective click is one decoder run per view.
 */
async function runDecoder(embedded: Embedded, prompt: Prompt, maskInput?: Float32Array): Promise<LowResPrediction> {
  const plain = await runDecoderOn(embedded, embedded.originalSize, prompt, maskInput);
  if (!embedded.mirror) return plain;
  const { manifest } = requireModel();
  const side = manifest.decoder.lowResSize;
  const s = manifest.config.imageEncoder.imgSize;
  const width = embedded.inputSize[1];
  const mirroredMask = maskInput && mirrorLowRes(maskInput, 1, side, s, width);
  const mirrored = await runDecoderOn(embedded.mirror, embedded.originalSize, mirrorPrompt(prompt, embedded.originalSize[1]), mirroredMask);
  return averageWithMirror(plain, mirrored, side, s, width);
}

/** One run of the exported decoder on one view (its per-image part, decoder_image.onnx, run once per view and cached). */
async function runDecoderOn(view: View, originalSize: Size, prompt: Prompt, maskInput?: Float32Array): Promise<LowResPrediction> {
  const { manifest, decoderImage, decoders } = requireModel();
  const s = manifest.config.imageEncoder.imgSize;
  const enc = encodePrompt(prompt, originalSize, s);
  const { slots, file } = chooseDecoder(manifest, enc.count);
  const decoder = decoders.get(file)!;
  const side = manifest.decoder.lowResSize;
  if (maskInput && maskInput.length !== side * side) throw new Error(`the mask input has ${maskInput.length} values, the model takes ${side}×${side}`);
  view.decoderImage ??= { ...(await decoderImage.run({ image_embedding: view.embedding })), ...view.encoded };
  const out = await decoder.run(decoderFeeds(manifest, decoder, slots, view.decoderImage, enc, maskInput));
  return { lowResLogits: out.low_res_logits.data as Float32Array, scores: out.iou_predictions.data as Float32Array, count: out.low_res_logits.dims[1] };
}

function embeddedOf(key: string): Embedded {
  const embedded = embeddings.get(key);
  if (!embedded) throw new Error('this image has not been encoded (or was dropped from the cache): open it again');
  return embedded;
}

/** The logit above which a pixel is in a mask: the model's, else SAM's 0. */
function maskThreshold(): number {
  return requireModel().manifest.maskThreshold ?? 0;
}

function geometry(embedded: Embedded) {
  return { imgSize: requireModel().manifest.config.imageEncoder.imgSize, inputSize: embedded.inputSize, originalSize: embedded.originalSize };
}

async function decode(key: string, request: WorkerRequest & { type: 'decode' }): Promise<DecodeResult> {
  const start = performance.now();
  const embedded = embeddedOf(key);
  const side = requireModel().manifest.decoder.lowResSize;
  const { refine, maskInput, ...prompt } = request.prompt;
  let out = await runDecoder(embedded, prompt, maskInput);
  let decoderMs = performance.now() - start;
  if (refine) {
    // The first pass is the single-mask output (0); the second is prompted by its box and logits.
    const [height, width] = embedded.originalSize;
    const first = {
      masks: postprocessMasks(out.lowResLogits.slice(0, side * side), 1, [side, side], geometry(embedded), maskThreshold()),
      scores: out.scores.slice(0, 1),
      lowResLogits: out.lowResLogits.slice(0, side * side),
      width,
      height,
    };
    const second = refinementInput({ ...prompt, refine: true }, first, side);
    const secondStart = performance.now();
    out = await runDecoder(embedded, second, second.maskInput);
    decoderMs += performance.now() - secondStart;
  }
  const masks = postprocessMasks(out.lowResLogits, out.count, [side, side], geometry(embedded), maskThreshold());
  return { masks, scores: Array.from(out.scores), lowResLogits: Float32Array.from(out.lowResLogits), ms: performance.now() - start, decoderMs };
}

/** Segment everything on an encoded image: SAM's generator, one decoder run per grid point. */
async function everything(id: number, key: string, request: WorkerRequest & { type: 'everything' }): Promise<EverythingResult> {
  const start = performance.now();
  const embedded = embeddedOf(key);
  const side = requireModel().manifest.decoder.lowResSize;
  const [height, width] = embedded.originalSize;
  if (request.image.width !== width || request.image.height !== height) throw new Error('segment everything: the image does not match its embedding');
  let points = 0;
  const masks = await generateEverything(
    {
      // The whole image only (the app offers no crop layers): its embedding is the one cached.
      embed: async (image) => {
        if (image.width !== width || image.height !== height) throw new Error('segment everything: crop layers are not offered in the app');
      },
      decodePoints: async (batch) => {
        const multimask = requireModel().manifest.config.maskDecoder.numMultimaskOutputs;
        const lowResLogits = new Float32Array(batch.length * multimask * side * side);
        const scores = new Float32Array(batch.length * multimask);
        for (const [i, point] of batch.entries()) {
          const out = await runDecoder(embedded, { points: [point], labels: [1] });
          // Outputs 1..M are the multimask candidates (output 0 is the single-mask answer).
          lowResLogits.set(out.lowResLogits.subarray(side * side, (1 + multimask) * side * side), i * multimask * side * side);
          scores.set(out.scores.subarray(1, 1 + multimask), i * multimask);
        }
        return { lowResLogits, scores, masksPerPoint: multimask, lowResSide: side, geometry: geometry(embedded) };
      },
      maskThreshold: maskThreshold(),
    },
    request.image,
    {
      ...request.options,
      pointsPerBatch: 16,
      onProgress: (done, total) => {
        points = total;
        post({ type: 'progress', id, stage: `segment everything: ${done} of ${total} points`, fraction: done / total });
      },
    },
  );
  return {
    masks: masks.map((m) => ({ point: m.pointCoords, output: m.candidate + 1, predictedIou: m.predictedIou, stabilityScore: m.stabilityScore, area: m.area })),
    points,
    ms: performance.now() - start,
  };
}

function describe(error: unknown): string {
  if (error instanceof RangeError || (error instanceof Error && /memory|allocation/i.test(error.message))) {
    return `out of memory in the model worker (${error.message}); try a smaller image`;
  }
  return error instanceof Error ? error.message : String(error);
}

async function handle(request: WorkerRequest): Promise<void> {
  try {
    let result: ModelInfo | EncodeResult | DecodeResult | EverythingResult;
    if (request.type === 'init') result = await init(request.id, request.modelUrl, request.ortUrl, request.encoder);
    else if (request.type === 'encode') result = await encode(request.id, request.key, request);
    else if (request.type === 'everything') result = await everything(request.id, request.key, request);
    else result = await decode(request.key, request);
    const transfer = 'lowResLogits' in result ? [...result.masks.map((m) => m.buffer as ArrayBuffer), result.lowResLogits.buffer as ArrayBuffer] : [];
    post({ type: 'done', id: request.id, result }, transfer);
  } catch (error) {
    post({ type: 'failed', id: request.id, message: describe(error) });
  }
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  queue = queue.then(() => handle(event.data));
};
