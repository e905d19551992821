// Runs train-step graphs: keeps parameters and Adam moments in flat onnxruntime tensors (one per
// parameter group, see appendAdamW) and swaps two buffer sets between steps (the step reads one set
// and writes the other in place), so the trainer allocates no parameter-sized buffer per step.
// onnxruntime-node 1.30's binding still returns a fresh copy of every output besides writing the
// given buffer (for the bench-ViT step's 21 MB of parameters and moments, a measurable share of the
// step: docs/benchmarks.md, engine section); its API has no way to skip that copy.
import type * as Ort from 'onnxruntime-common';
import type { TypedArray } from './dtype.js';
import { serialize } from './onnx.js';
import { OPTIM, type TrainStep } from './optim.js';
import { Runtime, type RuntimeOptions } from './runtime.js';

/** Parameter values by name. */
export type ParamStore = Map<string, Float32Array>;

/** One packed parameter buffer (see ParamGroup) with its Adam moments. */
interface Slot {
  name: string;
  members: { name: string; offset: number; size: number }[];
  /** [current, next]: swapped after every step. */
  param: [Ort.Tensor, Ort.Tensor];
  m: [Ort.Tensor, Ort.Tensor];
  v: [Ort.Tensor, Ort.Tensor];
}

export interface StepResult {
  loss: number;
  gradNorm: number;
  /** Other graph outputs (metrics), copied out. */
  metrics: Record<string, Float32Array>;
}

export class Trainer {
  /** Steps taken so far (the t of Adam's bias correction is step + 1 for the next step). */
  step = 0;
  /** Time inside onnxruntime's run and in the whole `trainStep` call, summed (ms). */
  runMs = 0;
  wallMs = 0;

  private constructor(
    private readonly rt: Runtime,
    private readonly spec: TrainStep,
    private readonly slots: Slot[],
    private readonly frozen: Map<string, Ort.Tensor>,
    private readonly scalars: { lr: Ort.Tensor; stepSize: Ort.Tensor; sqrtBc2: Ort.Tensor },
    private readonly fixedOutputs: Record<string, Ort.Tensor>,
    private readonly metricNames: string[],
  ) {}

  /** Compiles the step and binds initial parameter values (copied; `values` is not modified). */
  static async create(spec: TrainStep, values: ParamStore, options: RuntimeOptions = {}): Promise<Trainer> {
    const model = serialize(spec.graph, { params: 'inputs' });
    const rt = await Runtime.create(model, options);
    const ort = rt.ort;
    const f32 = (data: Float32Array, shape: number[]) => new ort.Tensor('float32', data, shape);
    const need = (name: string, size: number) => {
      const v = values.get(name);
      if (!v) throw new Error(`Trainer: no initial value for parameter '${name}'`);
      if (v.length !== size) throw new Error(`Trainer: parameter '${name}' has ${v.length} values, its shape needs ${size}`);
      return v;
    };
    const slots = spec.groups.map((group): Slot => {
      let offset = 0;
      const members = group.params.map((p) => {
        const member = { name: p.name, offset, size: p.size };
        offset += p.size;
        return member;
      });
      const init = new Float32Array(offset);
      for (const [i, p] of group.params.entries()) init.set(need(p.name, p.size), members[i].offset);
      const shape = [offset];
      return {
        name: group.name,
        members,
        param: [f32(init, shape), f32(new Float32Array(offset), shape)],
        m: [f32(new Float32Array(offset), shape), f32(new Float32Array(offset), shape)],
        v: [f32(new Float32Array(offset), shape), f32(new Float32Array(offset), shape)],
      };
    });
    const trainableNames = new Set(spec.trainable.map((p) => p.name));
    const frozen = new Map<string, Ort.Tensor>();
    for (const input of model.signature.inputs) {
      if (!input.param || trainableNames.has(input.name)) continue;
      frozen.set(
        input.name,
        f32(
          Float32Array.from(
            need(
              input.name,
              input.shape.reduce((a, b) => a * b, 1),
            ),
          ),
          input.shape,
        ),
      );
    }
    const scalar = () => f32(new Float32Array(1), []);
    const fixedOutputs: Record<string, Ort.Tensor> = {
      [OPTIM.loss]: rt.allocateOutput(OPTIM.loss),
      [OPTIM.gradNorm]: rt.allocateOutput(OPTIM.gradNorm),
    };
    const stepOutputs = new Set<string>([OPTIM.loss, OPTIM.gradNorm]);
    for (const s of slots) for (const o of [OPTIM.next(s.name), OPTIM.mNext(s.name), OPTIM.vNext(s.name)]) stepOutputs.add(o);
    const metricNames = model.signature.outputs.map((o) => o.name).filter((n) => !stepOutputs.has(n));
    for (const n of metricNames) fixedOutputs[n] = rt.allocateOutput(n);
    return new Trainer(rt, spec, slots, frozen, { lr: scalar(), stepSize: scalar(), sqrtBc2: scalar() }, fixedOutputs, metricNames);
  }

  /** One training step on `batch` (graph inputs by name) at learning rate `lr`. */
  async trainStep(batch: Record<string, TypedArray>, lr: number): Promise<StepResult> {
    const t0 = performance.now();
    const { beta1, beta2 } = this.spec.options;
    const t = this.step + 1;
    (this.scalars.lr.data as Float32Array)[0] = lr;
    (this.scalars.stepSize.data as Float32Array)[0] = lr / (1 - beta1 ** t);
    (this.scalars.sqrtBc2.data as Float32Array)[0] = Math.sqrt(1 - beta2 ** t);
    const feeds: Record<string, Ort.Tensor | TypedArray> = { ...batch };
    // A scalar the graph does not use (lr without weight decay) is pruned from its inputs.
    const declared = this.rt.signature.inputs;
    for (const [name, tensor] of [
      [OPTIM.lr, this.scalars.lr],
      [OPTIM.stepSize, this.scalars.stepSize],
      [OPTIM.sqrtBc2, this.scalars.sqrtBc2],
    ] as const) {
      if (declared.some((i) => i.name === name)) feeds[name] = tensor;
    }
    for (const [name, tensor] of this.frozen) feeds[name] = tensor;
    const into: Record<string, Ort.Tensor> = { ...this.fixedOutputs };
    for (const s of this.slots) {
      feeds[s.name] = s.param[0];
      feeds[OPTIM.m(s.name)] = s.m[0];
      feeds[OPTIM.v(s.name)] = s.v[0];
      into[OPTIM.next(s.name)] = s.param[1];
      into[OPTIM.mNext(s.name)] = s.m[1];
      into[OPTIM.vNext(s.name)] = s.v[1];
    }
    await this.rt.run(feeds, into);
    for (const s of this.slots) {
      s.param.reverse();
      s.m.reverse();
      s.v.reverse();
    }
    this.step = t;
    const metrics: Record<string, Float32Array> = {};
    for (const n of this.metricNames) metrics[n] = Float32Array.from(this.fixedOutputs[n].data as Float32Array);
    const result = {
      loss: (this.fixedOutputs[OPTIM.loss].data as Float32Array)[0],
      gradNorm: (this.fixedOutputs[OPTIM.gradNorm].data as Float32Array)[0],
      metrics,
    };
    this.runMs += this.rt.lastRunMs;
    this.wallMs += performance.now() - t0;
    return result;
  }

  /** Current parameter values (trainable and frozen), as views: copy them before the next step. */
  params(): ParamStore {
    const out: ParamStore = new Map();
    for (const s of this.slots) for (const [name, view] of views(s, s.param[0])) out.set(name, view);
    for (const [name, t] of this.frozen) out.set(name, t.data as Float32Array);
    return out;
  }

  /** Adam moments of the trainable parameters, as views. */
  moments(): { m: ParamStore; v: ParamStore } {
    const m: ParamStore = new Map();
    const v: ParamStore = new Map();
    for (const s of this.slots) {
      for (const [name, view] of views(s, s.m[0])) m.set(name, view);
      for (const [name, view] of views(s, s.v[0])) v.set(name, view);
    }
    return { m, v };
  }

  /** Restores parameters, moments and the step counter (e.g. from a checkpoint). */
  restore(state: { params: ParamStore; m: ParamStore; v: ParamStore; step: number }): void {
    const copy = (data: Float32Array, from: Float32Array | undefined, what: string) => {
      if (!from) throw new Error(`restore: checkpoint lacks ${what}`);
      if (from.length !== data.length) throw new Error(`restore: ${what} has ${from.length} values, expected ${data.length}`);
      data.set(from);
    };
    for (const s of this.slots) {
      for (const [target, store, what] of [
        [s.param[0], state.params, 'parameter'],
        [s.m[0], state.m, 'Adam m of'],
        [s.v[0], state.v, 'Adam v of'],
      ] as const) {
        for (const [name, view] of views(s, target)) copy(view, store.get(name), `${what} '${name}'`);
      }
    }
    for (const [name, t] of this.frozen) {
      if (state.params.has(name)) copy(t.data as Float32Array, state.params.get(name), `parameter '${name}'`);
    }
    this.step = state.step;
  }

  async release(): Promise<void> {
    await this.rt.release();
  }
}

/** Each member parameter's values inside a packed buffer, by name (views, not copies). */
function views(slot: Slot, buffer: Ort.Tensor): [string, Float32Array][] {
  const data = buffer.data as Float32Array;
  return slot.members.map((p) => [p.name, data.subarray(p.offset, p.offset + p.size)]);
}
