// LayerNormalization written out as the primitive ops it stands for, applied while serialising
// (SerializeOptions.layerNorm): onnxruntime-web's WASM LayerNormalization kernel ran slower than
// the primitives on the decoder's shapes, onnxruntime-node's faster (docs/benchmarks.md). The
// form, with x̂ = x − mean(x) over the last axis:
//   y = x̂ · (1 / √(mean(x̂²) + ε)) · scale + bias,
// giving the node's optional outputs too: the mean and the inverse standard deviation (float32).
// x̂ · x̂, not Pow(x̂, 2): onnxruntime's LayerNormFusion matches the Pow form and would put the kernel
// back (checked in its optimised graph; the Div and the Reciprocal form are both left alone).
import onnxProto from 'onnx-proto';
import type { Node, Tensor } from './graph.js';

type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

/** The primitive nodes for a float32 LayerNormalization over the last axis; null for any other node. */
export function layerNormAsPrimitives(node: Node): { nodes: NodeProto[]; initializers: TensorProto[] } | null {
  if (node.type !== 'LayerNormalization') return null;
  const [x, scale, bias] = node.inputs as [Tensor, Tensor, Tensor | undefined];
  const axis = (node.attrs.axis as number | undefined) ?? -1;
  if (x.dtype !== 'float32' || (axis !== -1 && axis !== x.rank - 1)) return null;
  const epsilon = (node.attrs.epsilon as { float: number } | undefined)?.float ?? 1e-5;
  const [y, mean, invStd] = node.outputs;
  const base = node.name;
  const name = (suffix: string) => `${base}_${suffix}`;
  const reduceMean = (input: string, output: string): NodeProto => ({
    opType: 'ReduceMean',
    name: `${output}_op`,
    input: [input],
    output: [output],
    attribute: [
      { name: 'axes', type: onnxProto.onnx.AttributeProto.AttributeType.INTS, ints: [-1] },
      { name: 'keepdims', type: onnxProto.onnx.AttributeProto.AttributeType.INT, i: 1 },
    ],
  });
  const binary = (opType: string, a: string, b: string, output: string): NodeProto => ({ opType, name: `${output}_op`, input: [a, b], output: [output] });
  const unary = (opType: string, a: string, output: string): NodeProto => ({ opType, name: `${output}_op`, input: [a], output: [output] });
  const meanName = mean?.name ?? name('mean');
  const invStdName = invStd?.name ?? name('inv_std');
  const nodes: NodeProto[] = [
    reduceMean(x.name, meanName),
    binary('Sub', x.name, meanName, name('centred')),
    binary('Mul', name('centred'), name('centred'), name('squares')),
    reduceMean(name('squares'), name('variance')),
    binary('Add', name('variance'), name('epsilon'), name('variance_eps')),
    unary('Sqrt', name('variance_eps'), name('std')),
    unary('Reciprocal', name('std'), invStdName),
    binary('Mul', name('centred'), invStdName, name('normalised')),
    binary('Mul', name('normalised'), scale.name, bias ? name('scaled') : y.name),
  ];
  if (bias) nodes.push(binary('Add', name('scaled'), bias.name, y.name));
  const initializers: TensorProto[] = [{ name: name('epsilon'), dims: [], dataType: 1, rawData: new Uint8Array(new Float32Array([epsilon]).buffer) }];
  return { nodes, initializers };
}
