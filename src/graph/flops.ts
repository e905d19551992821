// Arithmetic of a graph's products (MatMul, Gemm, Conv, ConvTranspose) per run: 2 floating-point
// operations per multiply-add. Products whose operands all derive from parameters and constants
// alone are left out: with parameters baked in, onnxruntime folds them once when it loads the model.
import type { Graph, Node, Tensor } from './graph.js';

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/** Multiply-adds of one product node (0 for any other node). */
function multiplyAdds(node: Node): number {
  const [a, b] = node.inputs as [Tensor, Tensor];
  const out = node.outputs[0].shape;
  switch (node.type) {
    case 'MatMul':
      return prod(out) * a.shape[a.rank - 1];
    case 'Gemm':
      return prod(out) * (node.attrs.transA === 1 ? a.shape[0] : a.shape[1]);
    case 'Conv': // weight [M, C/groups, kh, kw]: each output value takes C/groups · kh · kw
      return prod(out) * prod(b.shape.slice(1));
    case 'ConvTranspose': // weight [C, M/groups, kh, kw]: each input value reaches M/groups · kh · kw outputs
      return prod(a.shape) * prod(b.shape.slice(1));
    default:
      return 0;
  }
}

/**
 * Floating-point operations of the products that the given outputs (default: all) need per run,
 * with parameters treated as constants (as when they are baked in).
 */
export function productFlops(graph: Graph, outputs?: readonly string[]): number {
  const { nodes } = graph.neededBy((outputs ?? [...graph.outputs.keys()]).map((name) => graph.outputs.get(name)!.name));
  // Values computed from parameters and constants alone, in graph order.
  const folded = new Set<string>();
  let flops = 0;
  for (const node of nodes) {
    const constant = node.inputs.every((t) => !t || t.kind === 'param' || t.kind === 'constant' || folded.has(t.name));
    if (constant) for (const o of node.outputs) folded.add(o.name);
    else flops += 2 * multiplyAdds(node);
  }
  return flops;
}
