// `ultrasam segment`, `ultrasam export` and `ultrasam convert-weights`: the model from the shell.
import { basename, extname, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { checkOutputPaths } from './outputs.js';
import { finite, numberList, positiveInt, promptPoint, slotList, unitInterval } from './parse.js';
import { writeMaskPng, writeOverlayPng } from '../image/write.js';
import { LONE_POINT_METADATA_KEY, type LonePointOutput } from '../eval/click_rule.js';
import { EVERYTHING_METADATA_KEY, checkEverythingOptions } from '../model/everything.js';
import { type ExportManifest, exportModel } from '../model/export.js';
import { encoderFileList } from '../model/export_format.js';
import { MASK_THRESHOLD_METADATA_KEY } from '../model/postprocess.js';
import { FLIP_AVERAGE_METADATA_KEY } from '../model/flip.js';
import { CONFIG_METADATA_KEY, type LoadOptions, SamPredictor, TRAINING_RECORD_KEY } from '../model/predictor.js';
import { saveSamWeights } from '../weights/checkpoint.js';

const DEFAULT_MODEL = 'ultrasam-tiny';

function loadOptions(o: { threads?: number; decoderHeads?: number }): LoadOptions {
  return { threads: o.threads, decoderHeads: o.decoderHeads };
}

export function registerModelCommands(program: Command): void {
  program
    .command('segment')
    .description('segment an image from point and/or box prompts; writes the mask (and an overlay) and prints score and area')
    .argument('<image>', 'PNG, JPEG, BMP, TIFF, WebP or DICOM file')
    .option('--point <x,y[,label]>', 'a prompt point in image pixels; label 1 positive (default) or 0 negative; repeatable', promptPoint)
    .option('--box <x0,y0,x1,y1>', 'a box prompt in image pixels', (t) => numberList('--box', t, [4]))
    .option('--weights <file>', `SAM/MedSAM/UltraSam .pth or ultrasam .safetensors (default: the bundled ${DEFAULT_MODEL})`)
    .option('--multimask', 'three candidate masks; the best-scored one is written')
    .option('--refine', "UltraSam's test-time refinement: decode again with the mask's box (or the given box) and its low-resolution logits; three candidates, the best written")
    .option('--out <mask.png>', 'where to write the mask (default: <image>_mask.png)')
    .option('--overlay <overlay.png>', 'also write the image with the mask drawn over it')
    .option('--json', 'print the result as one JSON object')
    .option('--threads <n>', 'onnxruntime threads', positiveInt)
    .option('--decoder-heads <n>', 'attention heads of the mask decoder, for a .pth of a non-standard model (default 8)', positiveInt)
    .action(async (image: string, o) => {
      const points = (o.point ?? []) as number[][];
      if (points.length === 0 && !o.box) throw new Error('give a prompt: --point x,y[,label] (repeatable) and/or --box x0,y0,x1,y1');
      const out: string = o.out ?? `${basename(image, extname(image))}_mask.png`;
      checkOutputPaths(
        [{ flag: '--out', path: out, kind: 'file' }, ...(o.overlay ? [{ flag: '--overlay', path: o.overlay as string, kind: 'file' as const }] : [])],
        [{ flag: '<image>', path: image }, ...(o.weights ? [{ flag: '--weights', path: o.weights as string }] : [])],
      );
      const predictor = await SamPredictor.load(o.weights ?? DEFAULT_MODEL, loadOptions(o));
      try {
        await predictor.setImage(resolve(image));
        const result = await predictor.predict({
          points: points.map(([x, y]) => [x, y] as [number, number]),
          labels: points.map((p) => p[2]),
          box: o.box as [number, number, number, number] | undefined,
          multimask: o.refine && !o.multimask ? undefined : !!o.multimask,
          refine: !!o.refine,
        });
        const best = result.scores.indexOf(Math.max(...result.scores));
        const mask = result.masks[best];
        const area = mask.reduce((a, v) => a + v, 0);
        const info = predictor.imageInfo;
        const areaMm2 = info.pixelSpacingMm ? area * info.pixelSpacingMm[0] * info.pixelSpacingMm[1] : undefined;
        await writeMaskPng(out, mask, result.width, result.height);
        if (o.overlay) {
          const { readImage } = await import('../image/read.js');
          await writeOverlayPng(o.overlay, await readImage(resolve(image)), [{ mask }]);
        }
        const summary = {
          image,
          weights: predictor.source,
          width: result.width,
          height: result.height,
          score: result.scores[best],
          scores: Array.from(result.scores),
          chosen: best,
          refined: !!o.refine,
          area_px: area,
          ...(areaMm2 !== undefined ? { area_mm2: areaMm2, pixel_spacing_mm: info.pixelSpacingMm } : {}),
          mask: out,
          ...(o.overlay ? { overlay: o.overlay } : {}),
        };
        if (o.json) console.log(JSON.stringify(summary));
        else {
          console.log(`mask: ${out}${o.overlay ? `  overlay: ${o.overlay}` : ''}`);
          console.log(`score (predicted IoU): ${summary.score.toFixed(4)}${result.scores.length > 1 ? ` (candidates ${summary.scores.map((s) => s.toFixed(3)).join(', ')})` : ''}`);
          console.log(`area: ${area} px${areaMm2 !== undefined ? ` = ${areaMm2.toFixed(2)} mm²` : ' (no pixel spacing in the image: mm² unknown)'}`);
        }
      } finally {
        await predictor.release();
      }
    });

  program
    .command('export')
    .description('write encoder_strip.onnx, encoder_tail.onnx, decoder_image.onnx, decoder.onnx and ultrasam.json for onnxruntime (web, Python, C++)')
    .option('--weights <file>', `weights to export (default: the bundled ${DEFAULT_MODEL})`)
    .requiredOption('--out <dir>', 'output folder')
    .option('--slots <n>', 'prompt slots of the decoder (points + 2 per box + 1)', positiveInt, 16)
    .option('--fewer-slots <list>', 'also write the decoder for these smaller slot counts, e.g. 4,8 (decoder_<n>.onnx: faster for short prompts)', slotList)
    .option('--int8', 'also write an int8-quantised encoder (encoder_strip.int8.onnx, encoder_tail.int8.onnx)')
    .option('--force', 'replace an existing output folder')
    .option('--decoder-heads <n>', 'attention heads of the mask decoder, for a .pth of a non-standard model (default 8)', positiveInt)
    .action(async (o) => {
      checkOutputPaths([{ flag: '--out', path: o.out, kind: 'folder', replaced: !!o.force }], o.weights ? [{ flag: '--weights', path: o.weights }] : []);
      const predictor = await SamPredictor.load(o.weights ?? DEFAULT_MODEL, loadOptions(o));
      const manifest = await exportModel(predictor, o.out, { slots: o.slots, fewerSlots: o.fewerSlots, int8Encoder: !!o.int8, force: !!o.force });
      console.log(`exported ${manifest.config.name} (${predictor.ultrasam ? 'UltraSam' : 'SAM'} decoder) to ${resolve(o.out)}: ${exportedFiles(manifest).join(', ')}, ultrasam.json`);
    });

  program
    .command('convert-weights')
    .description('convert a SAM/MedSAM/UltraSam .pth checkpoint to ultrasam safetensors (canonical keys, config and layout recorded)')
    .argument('<in>', 'input .pth or .safetensors')
    .argument('<out>', 'output .safetensors')
    .option('--decoder-heads <n>', 'attention heads of the mask decoder (not visible in the weights; default 8)', positiveInt)
    .option('--half', 'store float16 (half the size)')
    .option('--pred-iou-thresh <t>', "record this model's segment-everything predicted-IoU threshold (kept from <in> if it records one)", unitInterval)
    .option('--stability-thresh <t>', "record this model's segment-everything stability threshold (kept from <in> if it records one)", unitInterval)
    .addOption(
      new Option('--lone-point <output>', "record what a lone click is decoded into by default: SAM's three candidates, or the single-mask output (kept from <in> if it records one)").choices([
        'candidates',
        'single',
      ]),
    )
    .option('--mask-threshold <t>', "record the logit above which a pixel is in a mask, instead of SAM's 0 (kept from <in> if it records one)", finite)
    .option('--flip-average', 'record that every prompt is to be decoded on the image and its mirror image, the two averaged (twice the compute; kept from <in> if it records it)')
    .option('--no-flip-average', 'record plain decoding (undoes a recorded --flip-average)')
    .action(async (input: string, output: string, o) => {
      checkOutputPaths([{ flag: '<out>', path: output, kind: 'file' }], [{ flag: '<in>', path: input }]);
      const predictor = await SamPredictor.load(input, loadOptions(o));
      const tensors = new Map([...predictor.values].map(([k, v]) => [k, { dtype: 'float32' as const, shape: [...shapeOf(predictor, k)], data: v }]));
      // The thresholds the input records travel with the weights; the flags replace them.
      const everything = {
        ...predictor.everythingDefaults,
        ...(o.predIouThresh !== undefined ? { predIouThresh: o.predIouThresh as number } : {}),
        ...(o.stabilityThresh !== undefined ? { stabilityScoreThresh: o.stabilityThresh as number } : {}),
      };
      checkEverythingOptions(everything);
      const recordsEverything = Object.keys(everything).length > 0;
      const lonePoint = (o.lonePoint as LonePointOutput | undefined) ?? predictor.lonePoint;
      const maskThreshold = (o.maskThreshold as number | undefined) ?? predictor.maskThreshold;
      const flipAverage = (o.flipAverage as boolean | undefined) ?? predictor.flipAverage;
      saveSamWeights(
        output,
        { layout: predictor.ultrasam ? 'ultrasam' : 'sam', tensors },
        {
          metadata: {
            [CONFIG_METADATA_KEY]: JSON.stringify(predictor.config),
            ...(predictor.training !== undefined ? { [TRAINING_RECORD_KEY]: predictor.training } : {}),
            ...(recordsEverything ? { [EVERYTHING_METADATA_KEY]: JSON.stringify(everything) } : {}),
            ...(lonePoint !== 'candidates' ? { [LONE_POINT_METADATA_KEY]: lonePoint } : {}),
            ...(maskThreshold !== 0 ? { [MASK_THRESHOLD_METADATA_KEY]: String(maskThreshold) } : {}),
            ...(flipAverage ? { [FLIP_AVERAGE_METADATA_KEY]: 'true' } : {}),
          },
          floatAs: o.half ? 'float16' : undefined,
        },
      );
      const thresholds = recordsEverything ? `; segment-everything thresholds ${JSON.stringify(everything)}` : '';
      const lone = lonePoint !== 'candidates' ? `; a lone click gives the ${lonePoint}-mask output` : '';
      const threshold = maskThreshold !== 0 ? `; masks where the logit exceeds ${maskThreshold}` : '';
      const flip = flipAverage ? '; each prompt averaged with its mirror image' : '';
      console.log(`wrote ${output}: ${tensors.size} tensors, ${predictor.config.name}, ${predictor.ultrasam ? 'UltraSam' : 'SAM'} decoder${thresholds}${lone}${threshold}${flip}`);
    });
}

function shapeOf(predictor: SamPredictor, key: string): readonly number[] {
  const shape = predictor.shapes.get(key);
  if (!shape) throw new Error(`no shape known for weight '${key}'`);
  return shape;
}

/** The model files an export wrote, in the order a reader needs them. */
function exportedFiles(manifest: ExportManifest): string[] {
  const { encoder, decoderImage, decoder, decoderWeights, encoderInt8, fewerSlots } = manifest.files;
  return [...encoderFileList(encoder), ...(encoderInt8 ? encoderFileList(encoderInt8) : []), decoderImage, decoder, ...(fewerSlots ?? []).map((d) => d.file), decoderWeights];
}
