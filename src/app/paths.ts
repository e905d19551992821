// Where the app's static parts live inside the installed package.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageRoot } from '../package_root.js';

/** web/dist, written by `npm run build:web`. */
export function builtWebDir(): string {
  return join(packageRoot(), 'web', 'dist');
}

/** onnxruntime-web's dist folder (the .wasm and .mjs files the page loads). */
export function ortWasmDir(): string {
  // The package's "require" export is dist/ort.min.js, so its folder is the dist folder.
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
}
