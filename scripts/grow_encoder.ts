// A deeper ultrasam model that starts out computing exactly what the given one does: its encoder's
// blocks in a new order with identity blocks between them (src/train/init.ts, growEncoder). The
// result is an `init` for `ultrasam train`; it records only the grown configuration (the run
// records its own training and lone-click metadata).
//   npx tsx scripts/grow_encoder.ts <in: .safetensors, .pth or ultrasam-tiny> <out.safetensors> --order 0,1,2,new,3,new,4,new,5,new [--seed 10]
import { existsSync } from 'node:fs';
import { CONFIG_METADATA_KEY, SamPredictor } from '../src/model/predictor.js';
import { parameterShapes } from '../src/model/sam.js';
import { growEncoder, type GrowOrder } from '../src/train/init.js';
import { saveSamWeights } from '../src/weights/checkpoint.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const orderText = flag('--order');
const seed = Number(flag('--seed') ?? 0);
const [input, output] = args;
if (!input || !output || !orderText || args.length !== 2 || !Number.isInteger(seed)) {
  console.error('usage: npx tsx scripts/grow_encoder.ts <in.safetensors|in.pth|ultrasam-tiny> <out.safetensors> --order 0,1,new,2,… [--seed N]');
  process.exit(2);
}
if (existsSync(output)) throw new Error(`${output} exists; not overwriting it`);
const order: GrowOrder = orderText.split(',').map((t) => {
  if (t === 'new') return 'new';
  if (!/^\d+$/.test(t)) throw new Error(`--order: '${t}' is not a block index or 'new'`);
  return Number(t);
});
// The predictor's loader: any checkpoint it reads (float16 safetensors, .pth, a bundled name), its
// configuration checked, the values as float32 by canonical key; no session is created.
const predictor = await SamPredictor.load(input);
const grown = growEncoder(predictor.config, predictor.values, order, seed);
const shapes = parameterShapes(grown.config);
const tensors = new Map([...grown.values].map(([k, data]) => [k, { dtype: 'float32' as const, shape: [...shapes.get(k)!], data }]));
saveSamWeights(output, { layout: predictor.ultrasam ? 'ultrasam' : 'sam', tensors }, { metadata: { [CONFIG_METADATA_KEY]: JSON.stringify(grown.config) } });
console.log(`wrote ${output}: encoder depth ${predictor.config.imageEncoder.depth} → ${grown.config.imageEncoder.depth} (order ${orderText}, seed ${seed})`);
