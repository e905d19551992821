// Dynamic int8 quantisation of weight products, applied while serialising: each Gemm/MatMul whose
// weight is a baked-in parameter becomes DynamicQuantizeLinear(A) → MatMulInteger(A_q, W_q) →
// Cast → Mul(A_scale · W_scale), with W quantised offline per output column (symmetric int8).
// All standard ONNX ops (onnxruntime-node fuses them into one int8 kernel; onnxruntime-web runs
// them as they are).
import onnxProto from 'onnx-proto';
import type { TypedArray } from './dtype.js';
import type { Node, Tensor } from './graph.js';

type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

export interface QuantizeOptions {
  /** Weights with fewer elements stay float (default 16384: small layers gain nothing). */
  minElements?: number;
}

export interface QuantizedNode {
  nodes: NodeProto[];
  initializers: TensorProto[];
  /** The float weight this replaced (no longer needed unless another node reads it). */
  replacedParam: string;
}

/** Per-column symmetric int8 quantisation of a [K, N] matrix (row-major). */
export function quantizeColumns(w: Float32Array, k: number, n: number): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(n);
  for (let r = 0; r < k; r++) for (let c = 0; c < n; c++) scales[c] = Math.max(scales[c], Math.abs(w[r * n + c]));
  for (let c = 0; c < n; c++) scales[c] = scales[c] > 0 ? scales[c] / 127 : 1;
  const q = new Int8Array(k * n);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++) q[r * n + c] = Math.max(-127, Math.min(127, Math.round(w[r * n + c] / scales[c])));
  }
  return { q, scales };
}

/**
 * Returns the quantised replacement of `node`, or null when it does not qualify (not a product
 * with a float32 parameter weight, transposed A, or a small weight).
 */
export function quantizeProduct(node: Node, weightValue: (t: Tensor) => TypedArray | undefined, options: QuantizeOptions = {}): QuantizedNode | null {
  if (node.type !== 'Gemm' && node.type !== 'MatMul') return null;
  if (node.attrs.transA === 1) return null;
  const [a, b, c] = node.inputs as [Tensor, Tensor, Tensor | undefined];
  if (b.kind !== 'param' || b.rank !== 2 || b.dtype !== 'float32' || a.dtype !== 'float32') return null;
  const raw = weightValue(b);
  if (!(raw instanceof Float32Array) || b.size < (options.minElements ?? 16384)) return null;

  const transB = node.attrs.transB === 1;
  const [k, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  let kn = raw;
  if (transB) {
    kn = new Float32Array(k * n);
    for (let r = 0; r < n; r++) for (let col = 0; col < k; col++) kn[col * n + r] = raw[r * k + col];
  }
  const { q, scales } = quantizeColumns(kn, k, n);
  const base = `${node.name}_q`;
  const out = node.outputs[0].name;
  const initializers: TensorProto[] = [
    { name: `${base}_w`, dims: [k, n], dataType: 3, rawData: new Uint8Array(q.buffer) },
    { name: `${base}_w_scale`, dims: [n], dataType: 1, rawData: new Uint8Array(scales.buffer) },
  ];
  const alpha = (node.attrs.alpha as { float: number } | undefined)?.float ?? 1;
  const beta = (node.attrs.beta as { float: number } | undefined)?.float ?? 1;
  const product = c || alpha !== 1 ? `${base}_y` : out;
  const nodes: NodeProto[] = [
    { opType: 'DynamicQuantizeLinear', name: `${base}_dql`, input: [a.name], output: [`${base}_a`, `${base}_a_scale`, `${base}_a_zp`] },
    { opType: 'MatMulInteger', name: `${base}_mmi`, input: [`${base}_a`, `${base}_w`, `${base}_a_zp`], output: [`${base}_i32`] },
    { opType: 'Cast', name: `${base}_cast`, input: [`${base}_i32`], output: [`${base}_f`], attribute: [{ name: 'to', type: 2, i: 1 }] },
    { opType: 'Mul', name: `${base}_scale`, input: [`${base}_a_scale`, `${base}_w_scale`], output: [`${base}_s`] },
    { opType: 'Mul', name: `${base}_mul`, input: [`${base}_f`, `${base}_s`], output: [product] },
  ];
  let y = product;
  if (alpha !== 1) {
    initializers.push({ name: `${base}_alpha`, dims: [], dataType: 1, rawData: new Uint8Array(new Float32Array([alpha]).buffer) });
    const next = c ? `${base}_ya` : out;
    nodes.push({ opType: 'Mul', name: `${base}_alpha_mul`, input: [y, `${base}_alpha`], output: [next] });
    y = next;
  }
  if (c) {
    let bias = c.name;
    if (beta !== 1) {
      initializers.push({ name: `${base}_beta`, dims: [], dataType: 1, rawData: new Uint8Array(new Float32Array([beta]).buffer) });
      nodes.push({ opType: 'Mul', name: `${base}_beta_mul`, input: [c.name, `${base}_beta`], output: [`${base}_c`] });
      bias = `${base}_c`;
    }
    nodes.push({ opType: 'Add', name: `${base}_bias`, input: [y, bias], output: [out] });
  }
  return { nodes, initializers, replacedParam: b.name };
}
