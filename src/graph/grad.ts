// Reverse-mode differentiation as a graph transform: grad(loss, wrt) appends the backward pass to
// the graph (one vector-Jacobian product per node, from the rules kept beside each op) and returns
// the symbolic gradients. Nothing is evaluated here.
//
// A rule may give an operand's gradient in the shape the operand was broadcast to (Add, MatMul's
// batch axes, Expand): it is summed back to the operand's shape here, in one place, as PyTorch's
// autograd engine does, so the op modules need not import the reduction that does it.
import { isFloat } from './dtype.js';
import type { Node, Tensor } from './graph.js';
import { gradRuleOf, stopsGradient } from './op.js';
import { add } from './ops/elementwise.js';
import { unbroadcast } from './ops/reduce.js';
import { expand } from './ops/shape.js';

export function grad(loss: Tensor, wrt: readonly Tensor[]): Tensor[] {
  const graph = loss.graph;
  if (loss.size !== 1) throw new Error(`grad: the loss must be a single value, got ${loss}`);
  if (!isFloat(loss.dtype)) throw new Error(`grad: the loss must be floating point, got ${loss}`);
  for (const w of wrt) {
    if (w.graph !== graph) throw new Error(`grad: ${w.name} belongs to another graph`);
    if (!isFloat(w.dtype)) throw new Error(`grad: cannot differentiate with respect to ${w} (not floating point)`);
  }

  // Forward: which values depend on a wrt tensor. Backward: which values the loss depends on.
  const forward = graph.nodes.slice();
  const dependsOnWrt = new Set(wrt.map((w) => w.name));
  for (const node of forward) {
    if (!stopsGradient(node) && node.inputs.some((t) => t && dependsOnWrt.has(t.name))) {
      for (const o of node.outputs) if (isFloat(o.dtype)) dependsOnWrt.add(o.name);
    }
  }
  const lossDependsOn = new Set([loss.name]);
  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i];
    if (node.outputs.some((o) => lossDependsOn.has(o.name))) {
      for (const t of node.inputs) if (t) lossDependsOn.add(t.name);
    }
  }
  const onPath = (t: Tensor | null): t is Tensor => !!t && dependsOnWrt.has(t.name) && lossDependsOn.has(t.name);

  const contributions = new Map<string, Tensor[]>();
  const collect = (t: Tensor, g: Tensor) => {
    const list = contributions.get(t.name);
    if (list) list.push(g);
    else contributions.set(t.name, [g]);
  };
  // Sums a value's contributions once, when its producer (or the caller) asks for it.
  const total = (t: Tensor): Tensor | null => {
    const list = contributions.get(t.name);
    if (!list) return null;
    const sum = list.reduce((acc, g) => add(acc, g));
    contributions.set(t.name, [sum]);
    return sum;
  };

  collect(loss, expand(graph.scalar(1, loss.dtype), loss.shape));
  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i];
    if (!node.outputs.some(onPath)) continue;
    const outputGrads = node.outputs.map((o) => (onPath(o) ? total(o) : null));
    if (outputGrads.every((g) => g === null)) continue;
    const custom = node.outputs.length === 1 ? graph.customGrads.get(node.outputs[0].name) : undefined;
    if (custom) {
      // The composite's rule replaces the chain rule through its nodes: none of them gets a
      // gradient from this output, so the walk skips them (unless something else uses them).
      const thunks = custom.rule(outputGrads[0]!);
      custom.inputs.forEach((t, k) => {
        if (!onPath(t)) return;
        const thunk = thunks[k];
        if (!thunk) throw noGradient(node, t);
        collect(t, toInputShape(node, t, thunk()));
      });
      continue;
    }
    const needed = node.inputs.map(onPath);
    if (!needed.some(Boolean)) continue;
    const rule = gradRuleOf(node);
    if (!rule) throw noGradient(node);
    const thunks = rule(node, outputGrads);
    node.inputs.forEach((t, k) => {
      if (!needed[k]) return;
      const thunk = thunks[k];
      if (!thunk) throw noGradient(node, t!);
      collect(t!, toInputShape(node, t!, thunk()));
    });
  }
  return wrt.map((w) => total(w) ?? expand(graph.scalar(0, w.dtype), w.shape));
}

/** The gradient of `input` from a rule, summed over the axes `input` was broadcast on. */
function toInputShape(node: Node, input: Tensor, g: Tensor): Tensor {
  const lead = g.rank - input.rank;
  if (lead < 0 || input.shape.some((d, j) => d !== 1 && d !== g.shape[lead + j])) {
    throw new Error(`grad: rule of ${node.type} gave [${g.shape}] for input ${input} (internal error)`);
  }
  return unbroadcast(g, input.shape);
}

function noGradient(node: Node, input?: Tensor): Error {
  const which = input ? ` with respect to ${input}` : '';
  return new Error(`grad: ${node.type} (${node.name}) has no gradient${which}, but it lies between the loss and a differentiated value`);
}
