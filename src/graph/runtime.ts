// A thin wrapper over an onnxruntime session: provider and thread choice, checked feeds, and
// optional pre-allocated outputs. Works with onnxruntime-node (default) or any module with the
// same API (onnxruntime-web in the browser) passed as `ort`.
import type * as Ort from 'onnxruntime-common';
import { type DType, type TypedArray, allocate } from './dtype.js';
import type { ModelSignature, SerializedModel } from './onnx.js';

export type Provider = 'cpu' | 'webgpu' | 'cuda' | 'wasm';

export interface OrtModule {
  InferenceSession: typeof Ort.InferenceSession;
  Tensor: typeof Ort.Tensor;
  listSupportedBackends?: () => { name: string; bundled: boolean }[];
}

export interface RuntimeOptions {
  provider?: Provider;
  /** Intra-op threads (default: onnxruntime's choice, all cores). */
  threads?: number;
  /** The onnxruntime module; onnxruntime-node when omitted. */
  ort?: OrtModule;
  /** onnxruntime's graph optimisation level (default 'all'). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

let nodeOrt: OrtModule | undefined;
async function defaultOrt(): Promise<OrtModule> {
  nodeOrt ??= (await import('onnxruntime-node')) as unknown as OrtModule;
  return nodeOrt;
}

export type Feed = TypedArray | Ort.Tensor;

export class Runtime {
  /** Milliseconds spent inside onnxruntime's run by the last call. */
  lastRunMs = 0;

  private constructor(
    readonly ort: OrtModule,
    readonly session: Ort.InferenceSession,
    readonly signature: ModelSignature,
    readonly provider: Provider,
  ) {}

  static async create(model: SerializedModel, options: RuntimeOptions = {}): Promise<Runtime> {
    const ort = options.ort ?? (await defaultOrt());
    const provider = options.provider ?? 'cpu';
    checkProvider(ort, provider);
    const sessionOptions: Ort.InferenceSession.SessionOptions = {
      executionProviders: [provider],
      graphOptimizationLevel: options.optimization ?? 'all',
    };
    if (options.threads) sessionOptions.intraOpNumThreads = options.threads;
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model.bytes, sessionOptions);
    } catch (e) {
      throw new Error(`onnxruntime could not load the model on provider '${provider}': ${(e as Error).message}`);
    }
    return new Runtime(ort, session, model.signature, provider);
  }

  /** The model's input names (a graph input its outputs do not need is left out), as onnxruntime's sessions list them. */
  get inputNames(): string[] {
    return this.signature.inputs.map((i) => i.name);
  }

  /** Wraps a typed array as a tensor of the declared input's shape (checked). */
  tensor(name: string, data: TypedArray): Ort.Tensor {
    const spec = this.signature.inputs.find((i) => i.name === name) ?? this.signature.outputs.find((o) => o.name === name);
    if (!spec) throw new Error(`no input or output named '${name}'`);
    checkSize(name, spec.shape, spec.dtype, data);
    return new this.ort.Tensor(spec.dtype, data as never, spec.shape);
  }

  /** A zero-filled tensor shaped like the named output, for pre-allocated runs. */
  allocateOutput(name: string): Ort.Tensor {
    const spec = this.signature.outputs.find((o) => o.name === name);
    if (!spec) throw new Error(`no output named '${name}'`);
    return new this.ort.Tensor(
      spec.dtype,
      allocate(
        spec.dtype,
        spec.shape.reduce((a, b) => a * b, 1),
      ) as never,
      spec.shape,
    );
  }

  /**
   * Runs the model. Every declared input must be fed with the declared size; `into` supplies
   * pre-allocated output tensors that onnxruntime writes in place (onnxruntime-node's binding also
   * returns a copy of each output, which callers holding `into` can ignore).
   */
  async run(feeds: Record<string, Feed>, into?: Record<string, Ort.Tensor>, fetch?: readonly string[]): Promise<Record<string, Ort.Tensor>> {
    const ortFeeds: Record<string, Ort.Tensor> = {};
    for (const spec of this.signature.inputs) {
      const v = feeds[spec.name];
      if (v === undefined) {
        throw new Error(`missing ${spec.param ? 'parameter' : 'input'} '${spec.name}' (${spec.dtype}[${spec.shape.join(',')}])`);
      }
      if (isOrtTensor(v)) {
        if (v.dims.length !== spec.shape.length || v.dims.some((d, i) => d !== spec.shape[i]) || v.type !== spec.dtype) {
          throw new Error(`${spec.param ? 'parameter' : 'input'} '${spec.name}': fed ${v.type}[${v.dims.join(',')}], expected ${spec.dtype}[${spec.shape.join(',')}]`);
        }
        ortFeeds[spec.name] = v;
      } else {
        checkSize(spec.name, spec.shape, spec.dtype, v, spec.param);
        ortFeeds[spec.name] = new this.ort.Tensor(spec.dtype, v as never, spec.shape);
      }
    }
    for (const name of Object.keys(feeds)) {
      if (!(name in ortFeeds)) {
        throw new Error(
          `'${name}' is not an input of this model (inputs: ${this.signature.inputs
            .map((i) => i.name)
            .slice(0, 12)
            .join(', ')}…)`,
        );
      }
    }
    const t0 = performance.now();
    let result: Record<string, Ort.Tensor>;
    if (into) {
      const fetches: Record<string, Ort.Tensor | null> = {};
      for (const o of fetch ?? this.signature.outputs.map((x) => x.name)) fetches[o] = into[o] ?? null;
      result = (await this.session.run(ortFeeds, fetches as Ort.InferenceSession.FetchesType)) as Record<string, Ort.Tensor>;
    } else if (fetch) {
      result = (await this.session.run(ortFeeds, [...fetch])) as Record<string, Ort.Tensor>;
    } else {
      result = (await this.session.run(ortFeeds)) as Record<string, Ort.Tensor>;
    }
    this.lastRunMs = performance.now() - t0;
    return result;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function isOrtTensor(v: Feed): v is Ort.Tensor {
  return typeof (v as Ort.Tensor).dims !== 'undefined' && typeof (v as Ort.Tensor).type === 'string';
}

function checkSize(name: string, shape: readonly number[], dtype: DType, data: TypedArray, param = false): void {
  const size = shape.reduce((a, b) => a * b, 1);
  const expected = allocate(dtype, 0).constructor;
  if (data.constructor !== expected) {
    throw new Error(`${param ? 'parameter' : 'input'} '${name}': expected ${dtype} data (${expected.name}), got ${data.constructor.name}`);
  }
  if (data.length !== size) {
    throw new Error(`${param ? 'parameter' : 'input'} '${name}': got ${data.length} values, shape [${shape.join(',')}] needs ${size}`);
  }
}

function checkProvider(ort: OrtModule, provider: Provider): void {
  if (!ort.listSupportedBackends || provider === 'cpu' || provider === 'wasm') return;
  const backends = ort.listSupportedBackends();
  const found = backends.find((b) => b.name === provider);
  if (!found) {
    throw new Error(`execution provider '${provider}' is not available in this onnxruntime (available: ${backends.map((b) => b.name).join(', ')})`);
  }
  if (!found.bundled && provider === 'cuda') {
    // The CUDA provider is a separate download that onnxruntime-node's install script fetches.
    throw new Error("execution provider 'cuda' is not installed: reinstall onnxruntime-node without ONNXRUNTIME_NODE_INSTALL=skip on a machine with CUDA 12 and network access");
  }
}
