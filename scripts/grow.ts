// A larger ultrasam model that starts out computing exactly what the given one does
// (src/train/init.ts): a deeper encoder — its blocks in a new order with identity blocks between
// them (`--order`, growEncoder) — and/or a wider decoder upscaling — more upscaled feature channels
// and the residual 3 × 3 convolution over them (`--upscale-chans`, `--upscale-conv`, growUpscaling) —
// and/or a pixel branch added to the upscaled features (`--fine-chans`, growPixelBranch), and/or the
// mask prompt's logits added to the decoded masks (`--mask-skip`, growMaskSkip), and/or a click head
// over the decoded logits and maps of the clicks (`--click-head`, growClickHead).
// The result is an `init` for `ultrasam train`; it records only the grown configuration (the run
// records its own training and lone-click metadata).
//   npx tsx scripts/grow.ts <in: .safetensors, .pth or ultrasam-tiny> <out.safetensors> [--order 0,1,2,new,3,new,4,new,5,new] [--upscale-chans 32] [--upscale-conv] [--fine-chans 32] [--mask-skip] [--click-head 16] [--seed 10]
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { upscaleChannels } from '../src/model/config.js';
import { CONFIG_METADATA_KEY, SamPredictor } from '../src/model/predictor.js';
import { parameterShapes } from '../src/model/sam.js';
import { growClickHead, growEncoder, growMaskSkip, growPixelBranch, growUpscaling, type GrowOrder } from '../src/train/init.js';
import { saveSamWeights } from '../src/weights/checkpoint.js';

const USAGE =
  'usage: npx tsx scripts/grow.ts <in.safetensors|in.pth|ultrasam-tiny> <out.safetensors> [--order 0,1,new,2,…] [--upscale-chans N] [--upscale-conv] [--fine-chans N] [--mask-skip] [--click-head N] [--seed N]';
function usage(): never {
  console.error(USAGE);
  process.exit(2);
}
const options = {
  order: { type: 'string' },
  'upscale-chans': { type: 'string' },
  'upscale-conv': { type: 'boolean', default: false },
  'fine-chans': { type: 'string' },
  'mask-skip': { type: 'boolean', default: false },
  'click-head': { type: 'string' },
  seed: { type: 'string', default: '0' },
} as const;
const parsed = (() => {
  try {
    return parseArgs({ allowPositionals: true, options });
  } catch {
    return usage(); // an unknown flag or a flag without its value
  }
})();
const { order: orderText, 'upscale-chans': chansText, 'upscale-conv': conv, 'fine-chans': fineText, 'mask-skip': skip, 'click-head': headText } = parsed.values;
const seed = Number(parsed.values.seed);
const [input, output] = parsed.positionals;
if (
  !input ||
  !output ||
  parsed.positionals.length !== 2 ||
  !Number.isInteger(seed) ||
  (chansText !== undefined && !/^\d+$/.test(chansText)) ||
  (fineText !== undefined && !/^\d+$/.test(fineText)) ||
  (headText !== undefined && !/^\d+$/.test(headText)) ||
  (!orderText && chansText === undefined && !conv && fineText === undefined && !skip && headText === undefined)
)
  usage();
if (existsSync(output)) throw new Error(`${output} exists; not overwriting it`);
const order: GrowOrder | undefined = orderText?.split(',').map((t) => {
  if (t === 'new') return 'new';
  if (!/^\d+$/.test(t)) throw new Error(`--order: '${t}' is not a block index or 'new'`);
  return Number(t);
});
// The predictor's loader: any checkpoint it reads (float16 safetensors, .pth, a bundled name), its
// configuration checked, the values as float32 by canonical key; no session is created.
const predictor = await SamPredictor.load(input);
let grown = { config: predictor.config, values: new Map(predictor.values) };
const done: string[] = [];
if (order) {
  grown = growEncoder(grown.config, grown.values, order, seed);
  done.push(`encoder depth ${predictor.config.imageEncoder.depth} → ${grown.config.imageEncoder.depth} (order ${orderText})`);
}
if (chansText !== undefined || conv) {
  const chans = chansText === undefined ? upscaleChannels(grown.config.maskDecoder) : Number(chansText);
  grown = growUpscaling(grown.config, grown.values, { chans, conv }, seed);
  done.push(`upscaled features ${upscaleChannels(predictor.config.maskDecoder)} → ${chans} channels${conv ? ' with the 3 × 3 convolution' : ''}`);
}
if (fineText !== undefined) {
  grown = growPixelBranch(grown.config, grown.values, Number(fineText), seed);
  done.push(`a pixel branch of ${fineText} channels`);
}
if (skip) {
  grown = growMaskSkip(grown.config, grown.values);
  done.push('the mask skip (gains zero)');
}
if (headText !== undefined) {
  grown = growClickHead(grown.config, grown.values, Number(headText), seed);
  done.push(`a click head of ${headText} channels (last layer zero)`);
}
const shapes = parameterShapes(grown.config);
const tensors = new Map([...grown.values].map(([k, data]) => [k, { dtype: 'float32' as const, shape: [...shapes.get(k)!], data }]));
saveSamWeights(output, { layout: predictor.ultrasam ? 'ultrasam' : 'sam', tensors }, { metadata: { [CONFIG_METADATA_KEY]: JSON.stringify(grown.config) } });
console.log(`wrote ${output}: ${done.join('; ')} (seed ${seed})`);
