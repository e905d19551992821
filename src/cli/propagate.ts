// `ultrasam propagate`: segment one frame of a cine clip from a prompt and carry the mask through
// the other frames (see cine/propagate.ts); writes per-frame mask PNGs, a COCO file, area against
// time as CSV and as a PNG plot (mm² where the clip is calibrated).
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { integer, numberList, positiveInt, promptPoint, unitInterval } from './parse.js';
import { writeOutputDir } from './output_dir.js';
import { writeAreaPlot } from '../cine/area_plot.js';
import { type Clip, readClip } from '../cine/clip.js';
import { trackCsv, trackRows } from '../cine/track_table.js';
import { DEFAULT_MIN_SCORE, type FrameMask, PROPAGATION_CARRIES, type Propagation, type PropagationCarry, propagate } from '../cine/propagate.js';
import { encodeMask, rleToBbox } from '../data/rle.js';
import { writeFileAtomic, writeMaskPng } from '../image/write.js';
import { SamPredictor } from '../model/predictor.js';

const DEFAULT_MODEL = 'ultrasam-tiny';

function coco(clip: Clip, masks: readonly (FrameMask | undefined)[], info: Record<string, unknown>) {
  const spacing = clip.pixelSpacingMm;
  return {
    info,
    images: clip.frames.map((_, k) => ({
      id: k + 1,
      file_name: clip.frameNames[k],
      width: clip.width,
      height: clip.height,
      frame: k,
      ...(clip.timesMs ? { time_s: clip.timesMs[k] / 1000 } : {}),
      ...(spacing ? { pixel_spacing: spacing } : {}),
    })),
    categories: [{ id: 1, name: 'object', supercategory: 'object' }],
    annotations: masks.flatMap((m) => {
      if (!m) return [];
      const segmentation = encodeMask(m.mask, clip.height, clip.width);
      return [
        {
          id: m.frame + 1,
          image_id: m.frame + 1,
          category_id: 1,
          segmentation,
          area: m.area,
          bbox: rleToBbox(segmentation),
          iscrowd: 0,
          score: m.score,
          source: m.source,
          ...(spacing ? { area_mm2: m.area * spacing[0] * spacing[1] } : {}),
        },
      ];
    }),
  };
}

export function registerPropagateCommand(program: Command): void {
  program
    .command('propagate')
    .description("segment one frame of a cine clip from a prompt and propagate the mask forward and backward (each frame prompted by the previous frame's box and logits)")
    .argument('<clip>', 'a multi-frame DICOM, a video (ffmpeg decodes it) or a folder of frames (natural name order)')
    .requiredOption('--frame <k>', 'the prompted frame, from 0', integer(0))
    .option('--point <x,y[,label]>', 'a prompt point on that frame; label 1 positive (default) or 0 negative; repeatable', promptPoint)
    .option('--box <x0,y0,x1,y1>', 'a box prompt on that frame', (t) => numberList('--box', t, [4]))
    .requiredOption('--out <dir>', 'folder for masks/frame_NNNN.png, masks.coco.json, area.csv and area.png')
    .option('--min-score <t>', 'stop a direction at the first frame whose predicted IoU is below t', unitInterval, DEFAULT_MIN_SCORE)
    .addOption(
      new Option('--carry <what>', "what each frame takes from its neighbour's mask: its box and low-resolution logits, or the box alone (for models trained without mask prompts)")
        .choices([...PROPAGATION_CARRIES])
        .default('box+logits'),
    )
    .option('--weights <file>', `SAM/MedSAM/UltraSam .pth or ultrasam .safetensors (default: the bundled ${DEFAULT_MODEL})`)
    .option('--force', 'replace a non-empty output folder')
    .option('--json', 'print one JSON object (frames, masked frames, stops, files)')
    .option('--threads <n>', 'onnxruntime threads', positiveInt)
    .option('--decoder-heads <n>', 'attention heads of the mask decoder, for a .pth of a non-standard model (default 8)', positiveInt)
    .action(async (clipPath: string, o) => {
      const points = (o.point ?? []) as number[][];
      if (points.length === 0 && !o.box) throw new Error('give a prompt for the frame: --point x,y[,label] (repeatable) and/or --box x0,y0,x1,y1');
      const started = performance.now();
      const clip = await readClip(resolve(clipPath));
      if (o.frame >= clip.frames.length) throw new Error(`--frame ${o.frame}: ${clipPath} has ${clip.frames.length} frame(s), numbered from 0`);
      const predictor = await SamPredictor.load(o.weights ?? DEFAULT_MODEL, { threads: o.threads, decoderHeads: o.decoderHeads });
      let result: Propagation;
      try {
        result = await propagate(
          { setFrame: (f) => predictor.setImage(clip.frames[f]), predict: (prompt) => predictor.predict(prompt) },
          {
            frameCount: clip.frames.length,
            width: clip.width,
            height: clip.height,
            frame: o.frame,
            prompt: { points: points.map(([x, y]) => [x, y] as [number, number]), labels: points.map((p) => p[2]), box: o.box as [number, number, number, number] | undefined },
            minScore: o.minScore,
            carry: o.carry as PropagationCarry,
          },
        );
      } finally {
        await predictor.release();
      }
      const rows = trackRows(result.masks, clip.timesMs, clip.pixelSpacingMm);
      const maskFiles = await writeOutputDir(o.out, !!o.force, async (dir) => {
        const written: string[] = [];
        for (const m of result.masks) {
          if (!m) continue;
          const name = join('masks', `frame_${String(m.frame).padStart(4, '0')}.png`);
          await writeMaskPng(join(dir, name), m.mask, clip.width, clip.height);
          written.push(name);
        }
        const info = { description: 'ultrasam propagate', clip: clipPath, weights: predictor.source, frame: o.frame, min_score: o.minScore, carry: o.carry, stops: result.stops.map((s) => s.message) };
        await writeFileAtomic(join(dir, 'masks.coco.json'), new TextEncoder().encode(JSON.stringify(coco(clip, result.masks, info))));
        await writeFileAtomic(join(dir, 'area.csv'), new TextEncoder().encode(trackCsv(rows)));
        const calibrated = !!clip.pixelSpacingMm;
        await writeAreaPlot(
          join(dir, 'area.png'),
          rows.map((r) => ({ x: r.time_s ?? r.frame, y: calibrated ? r.area_mm2 : r.area_px })),
          { title: `${clipPath}: area of the propagated mask`, x: clip.timesMs ? 'time (s)' : 'frame', y: calibrated ? 'area (mm²)' : 'area (px)' },
        );
        return written;
      });
      const out = resolve(o.out);
      const summary = {
        clip: clipPath,
        kind: clip.kind,
        frames: clip.frames.length,
        masked_frames: result.masks.filter(Boolean).length,
        frame: o.frame,
        carry: o.carry,
        width: clip.width,
        height: clip.height,
        weights: predictor.source,
        ...(clip.pixelSpacingMm ? { pixel_spacing_mm: clip.pixelSpacingMm } : {}),
        ...(clip.timesMs ? { frame_times_ms: clip.timesMs } : {}),
        stops: result.stops.map((s) => ({ direction: s.direction, frame: s.frame, score: s.score, message: s.message })),
        out_dir: out,
        mask_files: maskFiles,
        coco: join(out, 'masks.coco.json'),
        csv: join(out, 'area.csv'),
        plot: join(out, 'area.png'),
        areas: rows,
        seconds: (performance.now() - started) / 1000,
      };
      if (o.json) console.log(JSON.stringify(summary));
      else {
        console.log(`${summary.masked_frames} of ${summary.frames} frames have a mask (${summary.seconds.toFixed(1)} s) → ${out} (masks/, masks.coco.json, area.csv, area.png)`);
        for (const s of result.stops) console.log(s.message);
      }
    });
}
