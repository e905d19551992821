// Vite build of the browser app (web/ → web/dist/), served by `ultrasam app`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  resolve: {
    alias: [
      // dicom-parser reaches for Node's zlib only for deflated transfer syntaxes, which src/image/dicom.ts
      // inflates with fflate itself; the stub keeps Node's module out of the bundle.
      { find: /^zlib$/, replacement: here('src/zlib_stub.ts') },
      // ORT's builds that load their WASM glue from ort.env.wasm.wasmPaths (served by our server under
      // /ort/) instead of bundling a .wasm copy into the app: with WebGPU, and CPU-only (its .wasm half
      // the size); the worker loads one of them.
      { find: /^onnxruntime-web$/, replacement: here('../node_modules/onnxruntime-web/dist/ort.min.mjs') },
      { find: /^onnxruntime-web\/wasm$/, replacement: here('../node_modules/onnxruntime-web/dist/ort.wasm.min.mjs') },
    ],
  },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
  },
  worker: { format: 'es' },
});
