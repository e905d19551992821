// 2-D convolution and transposed convolution (NCHW), each with its gradient.
import type { Tensor } from '../graph.js';
import { defineOp, emit, sameDtype, shapeError } from '../op.js';
import { reduceSum } from './reduce.js';
import { concat, slice, split, transpose } from './shape.js';

export interface Conv2dOptions {
  stride?: number | [number, number];
  /** Symmetric padding per axis, or [top, left, bottom, right]. */
  padding?: number | [number, number] | [number, number, number, number];
  dilation?: number | [number, number];
  groups?: number;
}

const pair = (v: number | [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);

function pads4(p: Conv2dOptions['padding']): [number, number, number, number] {
  if (p === undefined) return [0, 0, 0, 0];
  if (typeof p === 'number') return [p, p, p, p];
  if (p.length === 2) return [p[0], p[1], p[0], p[1]];
  return p;
}

interface ConvGeometry {
  strides: [number, number];
  pads: [number, number, number, number];
  dilations: [number, number];
  group: number;
}

function geometry(o: Conv2dOptions): ConvGeometry {
  return { strides: pair(o.stride, 1), pads: pads4(o.padding), dilations: pair(o.dilation, 1), group: o.groups ?? 1 };
}

function geometryOf(attrs: Record<string, unknown>): ConvGeometry {
  const pads = attrs.pads as number[];
  return {
    strides: attrs.strides as [number, number],
    pads: [pads[0], pads[1], pads[2], pads[3]],
    dilations: attrs.dilations as [number, number],
    group: attrs.group as number,
  };
}

const convOut = (size: number, k: number, s: number, d: number, p0: number, p1: number) => Math.floor((size + p0 + p1 - d * (k - 1) - 1) / s) + 1;

/** Conv2d: x[N, C, H, W], weight[M, C/groups, kh, kw], bias[M] or null. */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const inputs = bias ? [x, weight, bias] : [x, weight];
  const geo = geometry(options);
  const dtype = sameDtype('Conv', inputs);
  if (x.rank !== 4 || weight.rank !== 4) throw shapeError('Conv', inputs, 'x and weight must be 4-D (NCHW, MCkk)');
  const [n, c, h, w] = x.shape;
  const [m, cg, kh, kw] = weight.shape;
  if (c % geo.group || m % geo.group || cg !== c / geo.group) {
    throw shapeError('Conv', inputs, `weight expects ${cg}×${geo.group} input channels, x has ${c}`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== m)) throw shapeError('Conv', inputs, `bias must be [${m}]`);
  const oh = convOut(h, kh, geo.strides[0], geo.dilations[0], geo.pads[0], geo.pads[2]);
  const ow = convOut(w, kw, geo.strides[1], geo.dilations[1], geo.pads[1], geo.pads[3]);
  if (oh < 1 || ow < 1) throw shapeError('Conv', inputs, 'kernel larger than the padded input');
  return emit('Conv', inputs, attrsOf(geo, [kh, kw]), [{ shape: [n, m, oh, ow], dtype }])[0];
}

function attrsOf(geo: ConvGeometry, kernel: [number, number]) {
  return { kernel_shape: kernel, strides: geo.strides, pads: geo.pads, dilations: geo.dilations, group: geo.group };
}

/**
 * The weight gradient of a convolution as another convolution: correlating the (padded) input
 * with the output gradient, batch and channel axes swapped, stride and dilation exchanged.
 * Returns [outChannels(of g), inChannels(of x), kh, kw].
 */
function weightGrad(x: Tensor, g: Tensor, kernel: [number, number], geo: ConvGeometry): Tensor {
  const xT = transpose(x, [1, 0, 2, 3]); // [C, N, H, W]
  const gT = transpose(g, [1, 0, 2, 3]); // [M, N, H', W']
  const raw = emit('Conv', [xT, gT], { kernel_shape: [g.shape[2], g.shape[3]], strides: geo.dilations, pads: geo.pads, dilations: geo.strides, group: 1 }, [
    {
      shape: [
        x.shape[1],
        g.shape[1],
        convOut(x.shape[2], g.shape[2], geo.dilations[0], geo.strides[0], geo.pads[0], geo.pads[2]),
        convOut(x.shape[3], g.shape[3], geo.dilations[1], geo.strides[1], geo.pads[1], geo.pads[3]),
      ],
      dtype: x.dtype,
    },
  ])[0];
  // The correlation can run past the kernel when the stride leaves input rows unused: crop.
  const cropped = slice(raw, [0, 0], kernel, [2, 3]);
  return transpose(cropped, [1, 0, 2, 3]);
}

/** Splits a grouped weight gradient into per-group convolutions (groups are independent). */
function groupedWeightGrad(x: Tensor, g: Tensor, kernel: [number, number], geo: ConvGeometry): Tensor {
  if (geo.group === 1) return weightGrad(x, g, kernel, geo);
  const xs = split(x, new Array(geo.group).fill(x.shape[1] / geo.group), 1);
  const gs = split(g, new Array(geo.group).fill(g.shape[1] / geo.group), 1);
  return concat(
    xs.map((xi, i) => weightGrad(xi, gs[i], kernel, { ...geo, group: 1 })),
    0,
  );
}

defineOp('Conv', {
  attrs: ['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'auto_pad'],
  grad: (n, [g]) => {
    const [x, weight, bias] = n.inputs as [Tensor, Tensor, Tensor | undefined];
    const geo = geometryOf(n.attrs);
    const kernel: [number, number] = [weight.shape[2], weight.shape[3]];
    const grads = [() => convTransposeRaw(g!, weight, geo, [x.shape[2], x.shape[3]]), () => groupedWeightGrad(x, g!, kernel, geo)];
    if (bias) grads.push(() => reduceSum(g!, [0, 2, 3]));
    return grads;
  },
});

/** A ConvTranspose node producing exactly `size` (output_padding fills what the stride drops). */
function convTransposeRaw(x: Tensor, weight: Tensor, geo: ConvGeometry, size: [number, number], bias?: Tensor): Tensor {
  const [kh, kw] = [weight.shape[2], weight.shape[3]];
  const natural = (k: number, axis: 0 | 1) => (x.shape[2 + axis] - 1) * geo.strides[axis] + geo.dilations[axis] * (k - 1) + 1 - geo.pads[axis] - geo.pads[axis + 2];
  const outputPadding = [size[0] - natural(kh, 0), size[1] - natural(kw, 1)];
  if (outputPadding.some((p, i) => p < 0 || p >= Math.max(geo.strides[i], geo.dilations[i]))) {
    throw shapeError('ConvTranspose', [x, weight], `cannot produce spatial size [${size}]`);
  }
  const attrs: Record<string, number | number[]> = attrsOf(geo, [kh, kw]);
  if (outputPadding.some((p) => p > 0)) attrs.output_padding = outputPadding;
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return emit('ConvTranspose', inputs, attrs, [{ shape: [x.shape[0], weight.shape[1] * geo.group, size[0], size[1]], dtype: x.dtype }])[0];
}

/** ConvTranspose2d: x[N, C, H, W], weight[C, M/groups, kh, kw] (PyTorch's layout), bias[M]. */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions & { outputPadding?: number | [number, number] } = {}): Tensor {
  const inputs = bias ? [x, weight, bias] : [x, weight];
  sameDtype('ConvTranspose', inputs);
  const geo = geometry(options);
  if (x.rank !== 4 || weight.rank !== 4) throw shapeError('ConvTranspose', inputs, 'x and weight must be 4-D');
  if (weight.shape[0] !== x.shape[1]) throw shapeError('ConvTranspose', inputs, `weight expects ${weight.shape[0]} input channels`);
  const op = pair(options.outputPadding, 0);
  const size = [0, 1].map((a) => (x.shape[2 + a] - 1) * geo.strides[a] + geo.dilations[a] * (weight.shape[2 + a] - 1) + 1 - geo.pads[a] - geo.pads[a + 2] + op[a]) as [number, number];
  return convTransposeRaw(x, weight, geo, size, bias ?? undefined);
}

defineOp('ConvTranspose', {
  attrs: ['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'output_padding', 'output_shape', 'auto_pad'],
  grad: (n, [g]) => {
    const [x, weight, bias] = n.inputs as [Tensor, Tensor, Tensor | undefined];
    const geo = geometryOf(n.attrs);
    const kernel: [number, number] = [weight.shape[2], weight.shape[3]];
    const grads = [
      // The adjoint of a transposed convolution is the convolution with the same weight.
      () => emit('Conv', [g!, weight], attrsOf(geo, kernel), [{ shape: x.shape, dtype: x.dtype }])[0],
      // Same correlation as Conv's weight gradient with the roles of input and output swapped.
      () => {
        if (geo.group !== 1) throw new Error('ConvTranspose: weight gradient with groups > 1 is not implemented');
        return groupedWeightGrad(g!, x, kernel, geo);
      },
    ];
    if (bias) grads.push(() => reduceSum(g!, [0, 2, 3]));
    return grads;
  },
});
