import type { DType } from './dtype.js';
import { type AttrValue, type CustomGrad, type Node, type Shape, Tensor, shapeStr } from './graph.js';

/**
 * Vector-Jacobian product of one node: given the gradients of its outputs (null where an output
 * does not reach the loss), returns for each input a thunk computing its gradient, or null where
 * none flows. Thunks keep the backward graph free of gradients nobody asked for (e.g. of a
 * frozen weight).
 */
export type GradRule = (node: Node, outputGrads: (Tensor | null)[]) => (GradThunk | null)[];
export type GradThunk = () => Tensor;

interface OpDef {
  /** Attribute names the op accepts; anything else is a build-time error. */
  attrs: readonly string[];
  /**
   * Absent for ops through which no gradient flows (comparisons, shapes, casts to integers): grad()
   * refuses to differentiate through them.
   */
  grad?: GradRule;
  /**
   * The outputs are constants to differentiation, whatever the inputs (JAX's lax.stop_gradient):
   * their gradient is zero by definition, so grad() neither refuses them nor builds anything behind them.
   */
  stopsGradient?: true;
}

const registry = new Map<string, OpDef>();

function key(type: string, domain: string): string {
  return domain ? `${domain}::${type}` : type;
}

/** Registers an op type with its accepted attributes and its gradient, beside its definition. */
export function defineOp(type: string, def: OpDef, domain = ''): void {
  registry.set(key(type, domain), def);
}

export function gradRuleOf(node: Node): GradRule | undefined {
  return registry.get(key(node.type, node.domain))?.grad;
}

export function stopsGradient(node: Node): boolean {
  return registry.get(key(node.type, node.domain))?.stopsGradient === true;
}

/**
 * Gives a composite built from primitives its own gradient, as JAX's custom_vjp: `grad` applies
 * `rule` to go from `output` straight to `inputs` and never differentiates through the composite's
 * nodes. For composites whose chain-rule backward would take many more passes over memory than a
 * hand-simplified formula (GELU). `output` must be the result of a node built from `inputs`.
 */
export function customGradient(output: Tensor, inputs: Tensor[], rule: CustomGrad['rule']): Tensor {
  if (output.kind !== 'node') throw new Error(`customGradient: ${output} is not computed by a node`);
  for (const t of inputs) if (t.graph !== output.graph) throw new Error(`customGradient: ${t.name} belongs to another graph`);
  output.graph.customGrads.set(output.name, { inputs, rule });
  return output;
}

/** Appends a node after checking that the op is known and its attributes are ones it takes. */
export function emit(type: string, inputs: (Tensor | null)[], attrs: Record<string, AttrValue>, outputs: { shape: Shape; dtype: DType }[], domain = ''): Tensor[] {
  const def = registry.get(key(type, domain));
  if (!def) throw new Error(`${type}: unknown op${domain ? ` in domain ${domain}` : ''}`);
  for (const name of Object.keys(attrs)) {
    if (!def.attrs.includes(name)) {
      throw new Error(`${type}: unknown attribute '${name}' (accepted: ${def.attrs.join(', ') || 'none'}); inputs ${describe(inputs)}`);
    }
  }
  const graph = inputs.find((t): t is Tensor => t !== null)?.graph;
  if (!graph) throw new Error(`${type}: needs at least one input`);
  return graph.addNode(type, inputs, attrs, outputs, domain);
}

export function describe(inputs: readonly (Tensor | null)[]): string {
  return inputs.map((t) => (t ? `${t.name}: ${t.dtype}${shapeStr(t.shape)}` : '(none)')).join(', ');
}

/** A build-time shape error naming the op, its inputs and their shapes. */
export function shapeError(op: string, inputs: readonly (Tensor | null)[], problem: string): Error {
  return new Error(`${op}: ${problem}; inputs ${describe(inputs)}`);
}

export function normAxis(axis: number, rank: number, op: string, inputs: readonly Tensor[]): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw shapeError(op, inputs, `axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Numpy broadcasting of the inputs' shapes. */
export function broadcastShapes(op: string, inputs: readonly Tensor[]): number[] {
  return broadcastDims(
    op,
    inputs.map((t) => t.shape),
    inputs,
  );
}

/** Numpy broadcasting of `shapes`; `inputs` only name the operands in the error. */
export function broadcastDims(op: string, shapes: readonly Shape[], inputs: readonly Tensor[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      const di = k < 0 ? 1 : s[k];
      if (di === 1) continue;
      if (d !== 1 && d !== di) throw shapeError(op, inputs, 'shapes do not broadcast');
      d = di;
    }
    out.push(d);
  }
  return out;
}

export function sameDtype(op: string, inputs: readonly Tensor[]): DType {
  const dt = inputs[0].dtype;
  for (const t of inputs) {
    if (t.dtype !== dt) throw shapeError(op, inputs, `element types differ (${inputs.map((x) => x.dtype).join(' vs ')})`);
  }
  return dt;
}

export type TensorLike = Tensor | number;

/** Turns a number into a scalar constant of the other operand's type. */
export function lift(x: TensorLike, like: Tensor): Tensor {
  return x instanceof Tensor ? x : like.graph.scalar(x, like.dtype);
}

/** A 1-D int64 constant on `like`'s graph: the axes, shapes and pads ONNX takes as inputs. */
export function int64Constant(like: Tensor, values: readonly number[]): Tensor {
  return like.graph.constant(values, [values.length], 'int64');
}

/** The values of an int64 constant (see int64Constant), as a gradient rule reads them back. */
export function int64Values(t: Tensor): number[] {
  const c = t.graph.constants.get(t.name);
  if (!c) throw new Error(`${t.name} is not a constant`);
  return Array.from(c.data as BigInt64Array, Number);
}
