// The engine's primitives, one namespace: `import * as op from './graph/ops/index.js'`.
export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './matmul.js';
export * from './norm.js';
export * from './conv.js';
export * from './resize.js';
export * from './attention.js';
