// `ultrasam app`: the browser app on this machine. The weights are exported to ONNX once (cached),
// then a loopback-only static server hands the page, the model and onnxruntime-web's WASM to the
// browser, which does all the segmenting itself.
import { type Command, InvalidArgumentError } from 'commander';
import { checkOutputPaths } from './outputs.js';
import { decimal, positiveInt } from './parse.js';
import { ensureExportedModel } from '../app/model_cache.js';
import { builtWebDir, ortWasmDir } from '../app/paths.js';
import { startAppServer } from '../app/server.js';

function port(text: string): number {
  const n = decimal(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`'${text}' is not a port (0–65535)`);
  return n;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function registerAppCommands(program: Command): void {
  program
    .command('app')
    .description('serve the browser app: segment images in the page (nothing is uploaded; the model runs in the browser)')
    .option('--port <n>', 'port to listen on (0 = any free port)', port, 8765)
    .option('--host <address>', 'address to listen on; keep the loopback default unless you mean to share it', '127.0.0.1')
    .option('--weights <file>', 'SAM/MedSAM/UltraSam .pth or ultrasam .safetensors (default: the bundled ultrasam-tiny)')
    .option('--decoder-heads <n>', 'attention heads of the mask decoder, for a .pth of a non-standard model (default 8)', positiveInt)
    .option('--cache-dir <dir>', 'where exported models are kept (default ~/.cache/ultrasam/app)')
    .option('--int8', 'also export the int8 image encoder and run it in the page: faster on CPUs, slightly less exact (the URL parameter ?encoder=fp32 switches a page back)')
    .action(async (o) => {
      if (o.cacheDir) checkOutputPaths([{ flag: '--cache-dir', path: o.cacheDir, kind: 'folder' }]);
      const modelDir = await ensureExportedModel({
        weights: o.weights,
        decoderHeads: o.decoderHeads,
        cacheDir: o.cacheDir,
        int8Encoder: o.int8 === true,
        log: (line) => console.log(line),
      });
      if (!LOOPBACK.has(o.host)) console.warn(`warning: listening on ${o.host}, not loopback: other machines can reach the app`);
      const running = await startAppServer({ webDir: builtWebDir(), modelDir, ortDir: ortWasmDir(), host: o.host, port: o.port });
      console.log(`ultrasam app: ${running.url}  (Ctrl+C to stop)${o.int8 ? '; image encoder int8 (fp32: add ?encoder=fp32 to the URL)' : ''}`);
      const stop = () => {
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
