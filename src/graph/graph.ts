import { type DType, type TypedArray, fromNumbers } from './dtype.js';

/** Attribute values an ONNX node can carry. */
export type AttrValue = number | string | number[] | string[] | { float: number } | { floats: number[] };

export type Shape = readonly number[];

/** How a graph-level value came to be. */
export type TensorKind = 'input' | 'param' | 'constant' | 'node';

/**
 * A symbolic tensor: a named value of a graph with a static shape and element type.
 * Nothing is computed when it is created; onnxruntime computes it when the graph runs.
 */
export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly shape: Shape,
    readonly dtype: DType,
    readonly kind: TensorKind,
    /** The node that computes it (for kind 'node'). */
    readonly producer: Node | null = null,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  toString(): string {
    return `${this.name}: ${this.dtype}[${this.shape.join(',')}]`;
  }
}

export interface Node {
  /** ONNX op type, e.g. 'MatMul'. */
  type: string;
  /** '' for the default ONNX domain, 'com.microsoft' for onnxruntime contrib ops. */
  domain: string;
  name: string;
  /** null stands for an omitted optional input. */
  inputs: (Tensor | null)[];
  outputs: Tensor[];
  attrs: Record<string, AttrValue>;
}

/**
 * A composite's own vector-Jacobian product (see `customGradient` in op.ts): given the gradient of
 * the composite's output, a thunk per input (null where none flows).
 */
export interface CustomGrad {
  inputs: Tensor[];
  rule: (outputGrad: Tensor) => ((() => Tensor) | null)[];
}

export interface ParamSpec {
  tensor: Tensor;
  trainable: boolean;
}

export interface ConstantSpec {
  tensor: Tensor;
  data: TypedArray;
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/**
 * A computation graph under construction. Inputs, parameters and constants are declared on it;
 * ops (in ./ops) append nodes. The graph knows nothing about any model.
 */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  readonly params = new Map<string, ParamSpec>();
  readonly constants = new Map<string, ConstantSpec>();
  readonly outputs = new Map<string, Tensor>();
  /**
   * Parameters fed from one flat input (their values end to end, in order) when serialised with
   * parameters as inputs, keyed by that input's name (see `packParams`).
   */
  readonly packs = new Map<string, Tensor[]>();
  /** Composites differentiated by their own rule, keyed by the composite's output name. */
  readonly customGrads = new Map<string, CustomGrad>();
  private readonly names = new Set<string>();
  private counter = 0;
  /** Prefix stack for readable node and parameter names (see `scope`). */
  private readonly prefixes: string[] = [];

  /**
   * The nodes that the named values need, in graph order, and the names of every value they read
   * or write (the named ones included): what serialising or costing only some outputs keeps.
   */
  neededBy(names: Iterable<string>): { nodes: Node[]; values: Set<string> } {
    const values = new Set(names);
    const nodes: Node[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      if (!node.outputs.some((o) => values.has(o.name))) continue;
      nodes.push(node);
      for (const t of node.inputs) if (t) values.add(t.name);
    }
    return { nodes: nodes.reverse(), values };
  }

  /** Runs `build` with `name.` prepended to the parameters it declares: `g.scope('blocks.0', () => ...)`. */
  scope<T>(name: string, build: () => T): T {
    this.prefixes.push(name);
    try {
      return build();
    } finally {
      this.prefixes.pop();
    }
  }

  private qualified(name: string): string {
    return this.prefixes.length ? `${this.prefixes.join('.')}.${name}` : name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`graph: the name '${name}' is already used`);
    this.names.add(name);
    return name;
  }

  /** A fresh unique value name, for node outputs. */
  fresh(hint: string): string {
    let name: string;
    do name = `${hint}_${this.counter++}`;
    while (this.names.has(name));
    return this.claim(name);
  }

  input(name: string, shape: Shape, dtype: DType = 'float32'): Tensor {
    checkShape(shape, `input '${name}'`);
    const t = new Tensor(this, this.claim(name), [...shape], dtype, 'input');
    this.inputs.push(t);
    return t;
  }

  /** A named parameter; its value lives outside the graph (a ParamStore) and is bound at run time. */
  param(name: string, shape: Shape, options: { trainable?: boolean; dtype?: DType } = {}): Tensor {
    const full = this.qualified(name);
    checkShape(shape, `parameter '${full}'`);
    const t = new Tensor(this, this.claim(full), [...shape], options.dtype ?? 'float32', 'param');
    this.params.set(full, { tensor: t, trainable: options.trainable ?? true });
    return t;
  }

  /** A constant baked into the graph. `values` may be plain numbers or a typed array of `dtype`. */
  constant(values: ArrayLike<number> | TypedArray, shape: Shape, dtype: DType = 'float32'): Tensor {
    checkShape(shape, 'constant');
    const data = isTypedOf(values, dtype) ? (values as TypedArray) : fromNumbers(dtype, values as ArrayLike<number>);
    if (data.length !== sizeOf(shape)) {
      throw new Error(`constant: ${data.length} values do not fill shape ${shapeStr(shape)}`);
    }
    const t = new Tensor(this, this.fresh('const'), [...shape], dtype, 'constant');
    this.constants.set(t.name, { tensor: t, data });
    return t;
  }

  scalar(value: number, dtype: DType = 'float32'): Tensor {
    return this.constant([value], [], dtype);
  }

  /** Marks `t` as a graph output under `name`. */
  output(name: string, t: Tensor): void {
    if (t.graph !== this) throw new Error(`graph.output('${name}'): tensor ${t.name} belongs to another graph`);
    if (this.outputs.has(name)) throw new Error(`graph.output: '${name}' is already an output`);
    this.outputs.set(name, t);
  }

  /** Appends a node. Ops call this after inferring the output shapes. */
  addNode(type: string, inputs: (Tensor | null)[], attrs: Record<string, AttrValue>, outputs: { shape: Shape; dtype: DType }[], domain = ''): Tensor[] {
    for (const t of inputs) {
      if (t && t.graph !== this) throw new Error(`${type}: input ${t.name} belongs to another graph`);
    }
    const node: Node = { type, domain, name: this.fresh(type), inputs, outputs: [], attrs };
    for (const o of outputs) {
      checkShape(o.shape, `${type} output`);
      node.outputs.push(new Tensor(this, this.fresh(type.toLowerCase()), [...o.shape], o.dtype, 'node', node));
    }
    this.nodes.push(node);
    return node.outputs;
  }

  /**
   * Declares input `name` holding the values of `params` end to end and feeds the parameters from
   * it: a training step then binds a few flat buffers instead of one per parameter and its optimiser
   * updates whole buffers at once. The parameters stay leaves of the graph; `serialize` unpacks them
   * with one Split.
   */
  packParams(name: string, params: Tensor[]): Tensor {
    if (params.length === 0) throw new Error(`packParams('${name}'): no parameters`);
    for (const p of params) {
      if (p.graph !== this || p.kind !== 'param') throw new Error(`packParams('${name}'): ${p.name} is not a parameter of this graph`);
      if (p.dtype !== params[0].dtype) throw new Error(`packParams('${name}'): ${p.name} is ${p.dtype}, ${params[0].name} ${params[0].dtype}`);
      for (const [other, members] of this.packs) {
        if (members.includes(p)) throw new Error(`packParams('${name}'): ${p.name} is already packed in '${other}'`);
      }
    }
    const flat = this.input(name, [params.reduce((n, p) => n + p.size, 0)], params[0].dtype);
    this.packs.set(name, [...params]);
    return flat;
  }

  trainableParams(): Tensor[] {
    return [...this.params.values()].filter((p) => p.trainable).map((p) => p.tensor);
  }
}

function checkShape(shape: Shape, what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${what}: bad dimension ${d} in shape ${shapeStr(shape)}`);
  }
}

function isTypedOf(values: unknown, dtype: DType): boolean {
  switch (dtype) {
    case 'float32':
      return values instanceof Float32Array;
    case 'float64':
      return values instanceof Float64Array;
    case 'float16':
      return values instanceof Uint16Array;
    case 'int64':
      return values instanceof BigInt64Array;
    case 'int32':
      return values instanceof Int32Array;
    case 'uint8':
    case 'bool':
      return values instanceof Uint8Array;
  }
}
