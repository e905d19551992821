// The page's handle on the model worker: each call is a promise, progress goes to a callback.
import type { RawImage } from '../../src/image/types.js';
import type { AppEverythingOptions, DecodePrompt, DecodeResult, EncodeResult, EverythingResult, ModelInfo, WorkerRequest, WorkerResponse } from './protocol.js';

type Progress = (stage: string, fraction?: number) => void;

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  progress?: Progress;
}

type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

export class ModelClient {
  private readonly worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor() {
    this.worker.onmessage = (event: MessageEvent<WorkerResponse>) => this.receive(event.data);
    this.worker.onerror = (event) => {
      const error = new Error(`the model worker failed: ${event.message || 'unknown error'}`);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
  }

  /** `encoder`: fp32 or int8 as the page's URL asks; undefined leaves the choice to the export. */
  init(modelUrl: string, ortUrl: string, encoder: string | undefined, progress?: Progress): Promise<ModelInfo> {
    return this.request({ type: 'init', modelUrl, ortUrl, ...(encoder === undefined ? {} : { encoder }) }, progress) as Promise<ModelInfo>;
  }

  /** Encodes the image under `key` (the worker keeps the embedding; a known key returns at once). */
  encode(key: string, image: RawImage, progress?: Progress): Promise<EncodeResult> {
    return this.request({ type: 'encode', key, image }, progress) as Promise<EncodeResult>;
  }

  decode(key: string, prompt: DecodePrompt): Promise<DecodeResult> {
    return this.request({ type: 'decode', key, prompt }) as Promise<DecodeResult>;
  }

  /** Segment everything on an encoded image (the pixels are needed for the grid's size and checks). */
  everything(key: string, image: RawImage, options: AppEverythingOptions, progress?: Progress): Promise<EverythingResult> {
    return this.request({ type: 'everything', key, image, options }, progress) as Promise<EverythingResult>;
  }

  private request(body: RequestBody, progress?: Progress): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, progress });
      this.worker.postMessage({ ...body, id } as WorkerRequest);
    });
  }

  private receive(message: WorkerResponse): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'progress') {
      pending.progress?.(message.stage, message.fraction);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'done') pending.resolve(message.result);
    else pending.reject(new Error(message.message));
  }
}
