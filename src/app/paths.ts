// Where the app's static parts live inside the installed package.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the ultrasam package root');
    dir = up;
  }
  return dir;
}

/** web/dist, written by `npm run build:web`. */
export function builtWebDir(): string {
  return join(packageRoot(), 'web', 'dist');
}

/** onnxruntime-web's dist folder (the .wasm and .mjs files the page loads). */
export function ortWasmDir(): string {
  // The package's "require" export is dist/ort.min.js, so its folder is the dist folder.
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
}
