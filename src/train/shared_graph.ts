// A graph for training: building a model component twice (a refinement pass, a forward pass beside
// the loss) must reuse the first pass's weights, and a run may freeze some of them. The engine's
// Graph refuses a second declaration of a name, so this subclass answers it with the first one.
import { Graph, type Shape, type Tensor } from '../graph/graph.js';
import type { DType } from '../graph/dtype.js';

export class SharedParamGraph extends Graph {
  /** Our copy of the scope stack (the base class keeps its own private one). */
  private readonly path: string[] = [];

  /** @param trainable which parameters the optimiser updates, by full name (default: all). */
  constructor(private readonly trainable: (name: string) => boolean = () => true) {
    super();
  }

  override scope<T>(name: string, build: () => T): T {
    this.path.push(name);
    try {
      return super.scope(name, build);
    } finally {
      this.path.pop();
    }
  }

  /**
   * Declares a parameter, or returns the earlier declaration of the same full name (its shape must
   * match). Buffers declared non-trainable by the model (the Fourier table) stay non-trainable.
   */
  override param(name: string, shape: Shape, options: { trainable?: boolean; dtype?: DType } = {}): Tensor {
    const full = [...this.path, name].join('.');
    const existing = this.params.get(full);
    if (existing) {
      const same = existing.tensor.shape.length === shape.length && existing.tensor.shape.every((d, i) => d === shape[i]);
      if (!same) {
        throw new Error(`parameter '${full}' declared again as [${shape.join(',')}], first as [${existing.tensor.shape.join(',')}]`);
      }
      return existing.tensor;
    }
    const trainable = (options.trainable ?? true) && this.trainable(full);
    return super.param(name, shape, { ...options, trainable });
  }
}
