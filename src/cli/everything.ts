// `ultrasam everything`: segment everything in an image (SAM's automatic mask generator) and write
// one PNG per mask, a COCO file with RLE masks and an overlay.
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { fraction, integer, nonNegative, positive, positiveInt, unitInterval } from './parse.js';
import { writeOutputDir } from './output_dir.js';
import { encodeMask, rleToBbox } from '../data/rle.js';
import { readImage } from '../image/read.js';
import { writeFileAtomic, writeMaskPng, writeOverlayPng } from '../image/write.js';
import { EVERYTHING_DEFAULTS, type EverythingOptions, type GeneratedMask } from '../model/everything.js';
import { SamPredictor } from '../model/predictor.js';

const DEFAULT_MODEL = 'ultrasam-tiny';
const D = EVERYTHING_DEFAULTS;

/** The COCO file of generated masks: one image, one category, SAM's scores kept on each annotation. */
export function everythingCoco(masks: readonly GeneratedMask[], image: { fileName: string; width: number; height: number; pixelSpacingMm?: [number, number] }, info: Record<string, unknown>) {
  return {
    info,
    images: [{ id: 1, file_name: image.fileName, width: image.width, height: image.height, ...(image.pixelSpacingMm ? { pixel_spacing: image.pixelSpacingMm } : {}) }],
    categories: [{ id: 1, name: 'object', supercategory: 'object' }],
    annotations: masks.map((m, i) => {
      const segmentation = encodeMask(m.mask, image.height, image.width);
      return {
        id: i + 1,
        image_id: 1,
        category_id: 1,
        segmentation,
        area: m.area,
        bbox: rleToBbox(segmentation),
        iscrowd: 0,
        predicted_iou: m.predictedIou,
        stability_score: m.stabilityScore,
        point_coords: [m.pointCoords],
        crop_box: m.cropBox,
        ...(image.pixelSpacingMm ? { area_mm2: m.area * image.pixelSpacingMm[0] * image.pixelSpacingMm[1] } : {}),
      };
    }),
  };
}

/** Help text of a threshold that weights may record (EVERYTHING_METADATA_KEY). */
function recorded(samDefault: number): string {
  return `default: the value the weights record, else SAM's ${samDefault}; the bundled ${DEFAULT_MODEL} records its own`;
}

export function registerEverythingCommand(program: Command): void {
  program
    .command('everything')
    .description("segment everything in an image without a prompt (SAM's automatic mask generator): one PNG per mask, a COCO file (RLE) and an overlay")
    .argument('<image>', 'PNG, JPEG, BMP, TIFF, WebP or DICOM file (frame 0)')
    .requiredOption('--out-dir <dir>', 'folder for mask_NNN.png, masks.coco.json and overlay.png')
    .option('--weights <file>', `SAM/MedSAM/UltraSam .pth or ultrasam .safetensors (default: the bundled ${DEFAULT_MODEL})`)
    .option('--points-per-side <n>', `grid of n × n point prompts (${recorded(D.pointsPerSide)})`, positiveInt)
    .option('--points-per-batch <n>', 'points per decoder call (speed and memory only)', positiveInt, D.pointsPerBatch)
    .option('--pred-iou-thresh <t>', `keep masks with predicted IoU above t, 0 = no filter (${recorded(D.predIouThresh)})`, unitInterval)
    .option('--stability-thresh <t>', `keep masks with stability score ≥ t, 0 = no filter (${recorded(D.stabilityScoreThresh)})`, unitInterval)
    .option('--stability-offset <x>', `logit offset of the stability score (${recorded(D.stabilityScoreOffset)})`, positive)
    .option('--box-nms-thresh <t>', `box IoU above which NMS drops a duplicate (${recorded(D.boxNmsThresh)})`, unitInterval)
    .option('--crop-layers <n>', 'crop layers (layer i adds (2^i)² overlapping crops, each embedded)', integer(0), D.cropNLayers)
    .option('--crop-nms-thresh <t>', 'box IoU above which NMS drops a duplicate between crops', unitInterval, D.cropNmsThresh)
    .option('--crop-overlap <r>', 'overlap of first-layer crops, as a fraction of the short side', fraction, D.cropOverlapRatio)
    .option('--crop-points-downscale <n>', 'points per side at crop layer i divided by n^i', positiveInt, D.cropNPointsDownscaleFactor)
    .option('--min-region-area <px>', 'fill holes and remove islands smaller than this, then NMS again (0 = off)', nonNegative, D.minMaskRegionArea)
    .option('--force', 'replace a non-empty output folder')
    .option('--json', 'print one JSON object: { "masks": n, ... }')
    .option('--threads <n>', 'onnxruntime threads', positiveInt)
    .option('--decoder-heads <n>', 'attention heads of the mask decoder, for a .pth of a non-standard model (default 8)', positiveInt)
    .action(async (imagePath: string, o) => {
      const options: EverythingOptions = {
        pointsPerSide: o.pointsPerSide,
        pointsPerBatch: o.pointsPerBatch,
        predIouThresh: o.predIouThresh,
        stabilityScoreThresh: o.stabilityThresh,
        stabilityScoreOffset: o.stabilityOffset,
        boxNmsThresh: o.boxNmsThresh,
        cropNLayers: o.cropLayers,
        cropNmsThresh: o.cropNmsThresh,
        cropOverlapRatio: o.cropOverlap,
        cropNPointsDownscaleFactor: o.cropPointsDownscale,
        minMaskRegionArea: o.minRegionArea,
      };
      const started = performance.now();
      const image = await readImage(resolve(imagePath));
      const predictor = await SamPredictor.load(o.weights ?? DEFAULT_MODEL, { threads: o.threads, decoderHeads: o.decoderHeads });
      let masks: GeneratedMask[];
      try {
        await predictor.setImage(image);
        // Reported as used: given, else recorded by the weights, else SAM's.
        Object.assign(options, predictor.everythingOptions(options));
        masks = await predictor.generate(options);
      } finally {
        await predictor.release();
      }
      const { width, height } = image;
      const files = await writeOutputDir(o.outDir, !!o.force, async (dir) => {
        const written: string[] = [];
        for (const [i, m] of masks.entries()) {
          const name = `mask_${String(i + 1).padStart(3, '0')}.png`;
          await writeMaskPng(join(dir, name), m.mask, width, height);
          written.push(name);
        }
        const coco = everythingCoco(
          masks,
          { fileName: basename(imagePath), width, height, pixelSpacingMm: image.pixelSpacingMm },
          {
            description: 'ultrasam everything',
            weights: predictor.source,
            options,
          },
        );
        await writeFileAtomic(join(dir, 'masks.coco.json'), new TextEncoder().encode(JSON.stringify(coco)));
        // Largest first, so that small masks stay visible on top.
        const order = masks.map((_, i) => i).sort((a, b) => masks[b].area - masks[a].area);
        await writeOverlayPng(
          join(dir, 'overlay.png'),
          image,
          order.map((i) => ({ mask: masks[i].mask })),
        );
        return [...written, 'masks.coco.json', 'overlay.png'];
      });
      const out = resolve(o.outDir);
      const summary = {
        masks: masks.length,
        image: imagePath,
        weights: predictor.source,
        width,
        height,
        out_dir: out,
        coco: join(out, 'masks.coco.json'),
        overlay: join(out, 'overlay.png'),
        mask_files: files.filter((f) => f.startsWith('mask_')),
        areas_px: masks.map((m) => m.area),
        predicted_iou: masks.map((m) => m.predictedIou),
        options,
        seconds: (performance.now() - started) / 1000,
      };
      if (o.json) console.log(JSON.stringify(summary));
      else {
        console.log(`${masks.length} mask(s) in ${summary.seconds.toFixed(1)} s → ${out} (mask_NNN.png, masks.coco.json, overlay.png)`);
        if (masks.length === 0) console.log('no mask passed the filters: lower --pred-iou-thresh / --stability-thresh to see weaker ones');
      }
    });
}
