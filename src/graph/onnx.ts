// Serialises a graph to an ONNX ModelProto (opset 17) with the onnx-proto protobuf package.
import { createHash } from 'node:crypto';
import onnxProto from 'onnx-proto';
import { ONNX_DTYPE, type TypedArray } from './dtype.js';
import type { AttrValue, Graph, Node, Tensor } from './graph.js';
import { layerNormAsPrimitives } from './layer_norm_primitives.js';
import { type QuantizeOptions, quantizeProduct } from './quantize.js';

const { onnx } = onnxProto;

export const OPSET = 17;

export interface SerializeOptions {
  /** Graph outputs to keep (default: all). Nodes that none of them needs are dropped. */
  outputs?: readonly string[];
  /**
   * 'initializers' bakes parameter values into the model (export, inference); 'inputs' makes every
   * parameter a graph input fed at run time (training: values change every step).
   */
  params: 'initializers' | 'inputs';
  /** Parameter values, needed when params are 'initializers'. */
  values?: ReadonlyMap<string, TypedArray>;
  /** Parameters kept as inputs even when the others are initializers (e.g. fine-tuned subsets). */
  paramsAsInputs?: ReadonlySet<string>;
  name?: string;
  docString?: string;
  /** Extra metadata_props. */
  metadata?: Record<string, string>;
  /**
   * 'int8': dynamic int8 quantisation of the products with baked-in weights (see quantize.ts);
   * smaller, and faster where onnxruntime has int8 kernels, at some accuracy cost.
   */
  quantize?: 'int8';
  quantizeOptions?: QuantizeOptions;
  /**
   * 'primitives': each LayerNormalization written as ReduceMean, Sub, Mul, Sqrt, Reciprocal, Add
   * (see layer_norm_primitives.ts), for graphs that onnxruntime-web's WASM backend runs; default
   * 'kernel', the one node.
   */
  layerNorm?: 'kernel' | 'primitives';
}

/** What the serialised model expects and returns, for the runtime wrapper. */
export interface ModelSignature {
  inputs: { name: string; shape: number[]; dtype: Tensor['dtype']; param: boolean }[];
  outputs: { name: string; shape: number[]; dtype: Tensor['dtype'] }[];
}

export interface SerializedModel {
  bytes: Uint8Array;
  signature: ModelSignature;
}

export function serialize(graph: Graph, options: SerializeOptions): SerializedModel {
  const outputNames = options.outputs ?? [...graph.outputs.keys()];
  const outputs = outputNames.map((name) => {
    const t = graph.outputs.get(name);
    if (!t) throw new Error(`serialize: '${name}' is not a graph output (outputs: ${[...graph.outputs.keys()].join(', ')})`);
    return { name, tensor: t };
  });

  // Keep only the nodes the requested outputs need.
  const { nodes: kept, values: needed } = graph.neededBy(outputs.map((o) => o.tensor.name));

  const inputs: ModelSignature['inputs'] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];

  // Quantised products replace their nodes; a float weight nobody else reads is then dropped.
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const floatReaders = new Map<string, number>();
  for (const node of kept) for (const t of node.inputs) if (t) floatReaders.set(t.name, (floatReaders.get(t.name) ?? 0) + 1);
  for (const node of kept) {
    const asInitializer = (t: Tensor) => (options.params === 'initializers' && !options.paramsAsInputs?.has(t.name) ? options.values?.get(t.name) : undefined);
    const q = options.quantize === 'int8' ? quantizeProduct(node, asInitializer, options.quantizeOptions) : null;
    const unfused = options.layerNorm === 'primitives' ? layerNormAsPrimitives(node) : null;
    if (unfused) {
      nodes.push(...unfused.nodes);
      initializers.push(...unfused.initializers);
      continue;
    }
    if (!q) {
      nodes.push(nodeProto(node));
      continue;
    }
    nodes.push(...q.nodes);
    initializers.push(...q.initializers);
    const left = floatReaders.get(q.replacedParam)! - 1;
    floatReaders.set(q.replacedParam, left);
    if (left === 0) needed.delete(q.replacedParam);
  }
  for (const t of graph.inputs) {
    if (needed.has(t.name)) inputs.push({ name: t.name, shape: [...t.shape], dtype: t.dtype, param: false });
  }
  // Packed parameters come out of their flat input through one Split (and a Reshape each).
  const packed = new Set<string>();
  if (options.params === 'inputs') {
    for (const [flat, members] of graph.packs) {
      if (!needed.has(flat) && !members.some((p) => needed.has(p.name))) continue;
      if (!needed.has(flat)) {
        const t = graph.inputs.find((i) => i.name === flat)!;
        inputs.push({ name: flat, shape: [...t.shape], dtype: t.dtype, param: false });
        needed.add(flat);
      }
      const parts = members.map((p) => `${p.name}.packed`);
      const sizes = `${flat}.split_sizes`;
      initializers.push(
        int64Proto(
          sizes,
          members.map((p) => p.size),
        ),
      );
      nodes.unshift(
        { opType: 'Split', name: `unpack_${flat}`, input: [flat, sizes], output: parts, attribute: [attribute('axis', 0)] },
        ...members.map((p, i) => {
          const shape = `${p.name}.packed_shape`;
          initializers.push(int64Proto(shape, p.shape));
          return { opType: 'Reshape', name: `unpack_${p.name}`, input: [parts[i], shape], output: [p.name] };
        }),
      );
      for (const p of members) packed.add(p.name);
    }
  }
  for (const [name, spec] of graph.params) {
    if (!needed.has(name) || packed.has(name)) continue;
    const asInput = options.params === 'inputs' || options.paramsAsInputs?.has(name);
    if (asInput) {
      inputs.push({ name, shape: [...spec.tensor.shape], dtype: spec.tensor.dtype, param: true });
    } else {
      const data = options.values?.get(name);
      if (!data) throw new Error(`serialize: no value for parameter '${name}' ${shapeOf(spec.tensor)}`);
      if (data.length !== spec.tensor.size) {
        throw new Error(`serialize: parameter '${name}' has ${data.length} values, shape ${shapeOf(spec.tensor)} needs ${spec.tensor.size}`);
      }
      initializers.push(tensorProto(name, spec.tensor, data));
    }
  }
  for (const [name, c] of graph.constants) {
    if (needed.has(name)) initializers.push(tensorProto(name, c.tensor, c.data));
  }

  // Graph outputs take their public names. A node's output is renamed in place; an Identity node
  // is added only where that cannot be done (an input or parameter returned as is, one value
  // returned under two names, or a public name another value already has): each Identity is a
  // full copy, and a training step returns every parameter and moment.
  const taken = new Set<string>([...inputs.map((i) => i.name), ...initializers.map((t) => t.name!)]);
  for (const { name } of outputs) {
    if (taken.has(name) || graph.params.has(name) || graph.inputs.some((i) => i.name === name)) {
      throw new Error(`serialize: output '${name}' has the name of an input or parameter; ONNX values need distinct names`);
    }
  }
  const produced = new Set<string>();
  for (const n of nodes) {
    for (const name of n.input ?? []) taken.add(name);
    for (const name of n.output ?? []) {
      taken.add(name);
      produced.add(name);
    }
  }
  const rename = new Map<string, string>();
  const identities: onnxProto.onnx.INodeProto[] = [];
  const outputInfos = outputs.map(({ name, tensor }) => {
    if (name === tensor.name) return valueInfo(name, tensor);
    if (produced.has(tensor.name) && !rename.has(tensor.name) && !taken.has(name)) {
      rename.set(tensor.name, name);
    } else {
      const source = rename.get(tensor.name) ?? tensor.name;
      identities.push(onnx.NodeProto.create({ opType: 'Identity', input: [source], output: [name], name: `output_${name}` }));
    }
    return valueInfo(name, tensor);
  });
  if (rename.size > 0) {
    for (const n of nodes) {
      n.input = n.input?.map((x) => rename.get(x) ?? x);
      n.output = n.output?.map((x) => rename.get(x) ?? x);
    }
  }
  nodes.push(...identities);

  const domains = new Set(kept.map((n) => n.domain).filter((d) => d));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'ultrasam',
    docString: options.docString,
    opsetImport: [{ domain: '', version: OPSET }, ...[...domains].map((domain) => ({ domain, version: 1 }))],
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: onnx.GraphProto.create({
      name: options.name ?? 'ultrasam',
      node: nodes,
      input: inputs.map((i) => valueInfoOf(i.name, i.shape, i.dtype)),
      output: outputInfos,
      initializer: initializers,
    }),
  });
  return {
    bytes: onnx.ModelProto.encode(model).finish(),
    signature: {
      inputs,
      outputs: outputs.map(({ name, tensor }) => ({ name, shape: [...tensor.shape], dtype: tensor.dtype })),
    },
  };
}

/**
 * Moves the large initializers of serialised models into one file beside them (ONNX external data):
 * every initializer of at least `minBytes` bytes, stored once however many of the models hold the
 * same bytes (the strip graphs' weights, quantised or not; the decoders' weights). Returns the
 * models, which then read those initializers from `location` (a name relative to their folder), and
 * the file's bytes, each range at a multiple of 64 bytes.
 */
export function shareInitializers(models: readonly Uint8Array[], location: string, minBytes = 1024): { models: Uint8Array[]; bytes: Uint8Array } {
  const offsets = new Map<string, number>(); // by content (SHA-256)
  const chunks: { data: Uint8Array; offset: number }[] = [];
  let size = 0;
  const place = (data: Uint8Array): number => {
    const key = createHash('sha256').update(data).digest('hex');
    const known = offsets.get(key);
    if (known !== undefined) return known;
    chunks.push({ data, offset: size });
    offsets.set(key, size);
    size = Math.ceil((size + data.length) / 64) * 64;
    return chunks[chunks.length - 1].offset;
  };
  const out = models.map((bytes, i) => {
    const model = onnx.ModelProto.decode(bytes);
    if (!model.graph) throw new Error(`shareInitializers: model ${i} has no graph`);
    for (const t of model.graph.initializer ?? []) {
      if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || !t.rawData || t.rawData.length < minBytes) continue;
      const offset = place(t.rawData);
      t.externalData = [
        { key: 'location', value: location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(t.rawData.length) },
      ];
      t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      delete (t as { rawData?: Uint8Array }).rawData; // not written at all: the data is elsewhere
    }
    return onnx.ModelProto.encode(model).finish();
  });
  const file = new Uint8Array(size);
  for (const c of chunks) file.set(c.data, c.offset);
  return { models: out, bytes: file };
}

const shapeOf = (t: Tensor) => `[${t.shape.join(',')}]`;

function tensorProto(name: string, t: Tensor, data: TypedArray): onnxProto.onnx.ITensorProto {
  return {
    name,
    dims: [...t.shape],
    dataType: ONNX_DTYPE[t.dtype],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function int64Proto(name: string, values: readonly number[]): onnxProto.onnx.ITensorProto {
  const data = BigInt64Array.from(values, BigInt);
  return { name, dims: [values.length], dataType: ONNX_DTYPE.int64, rawData: new Uint8Array(data.buffer) };
}

function valueInfo(name: string, t: Tensor): onnxProto.onnx.IValueInfoProto {
  return valueInfoOf(name, t.shape, t.dtype);
}

function valueInfoOf(name: string, shape: readonly number[], dtype: Tensor['dtype']): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: ONNX_DTYPE[dtype], shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
  };
}

function nodeProto(node: Node): onnxProto.onnx.INodeProto {
  return {
    opType: node.type,
    domain: node.domain || undefined,
    name: node.name,
    input: node.inputs.map((t) => (t ? t.name : '')),
    output: node.outputs.map((t) => t.name),
    attribute: Object.entries(node.attrs).map(([name, v]) => attribute(name, v)),
  };
}

const A = onnx.AttributeProto.AttributeType;

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: non-integer ${v} needs {float: ${v}}`);
    return { name, type: A.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number')) return { name, type: A.INTS, ints: v as number[] };
    return { name, type: A.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
  }
  if ('float' in v) return { name, type: A.FLOAT, f: v.float };
  return { name, type: A.FLOATS, floats: v.floats };
}
