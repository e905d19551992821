/**
 * ACOUSLIC-AI (MICCAI 2024 challenge): fetal abdomen in blind-sweep obstetric ultrasound.
 * Raw layout (the challenge's training data): `images/stacked_fetal_ultrasound/<uuid>.mha` — one
 * MetaImage per exam, 744×562 frames × 840 (six sweeps stacked) — with
 * `masks/stacked_fetal_abdomen/<uuid>.mha` of the same size (0 background, 1 abdomen in an optimal
 * measurement plane, 2 abdomen in a suboptimal plane), and optionally
 * `circumferences/fetal_abdominal_circumferences_per_sweep.csv` (uuid → subject_id).
 *
 * As in the UltraSam reference, only frames whose mask has abdomen pixels are kept, and both labels
 * become the `abdomen` category; the plane quality is kept as the image label `plane`. Frames are
 * streamed, so an 840-frame exam is never in memory at once.
 */
import { join } from 'node:path';
import { streamMetaImageFrames } from '../formats/mha.js';
import { zipStreams } from '../formats/frame_ops.js';
import { frameLabels, frameToImage } from '../formats/volume.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { readCsvRecords } from './support/csv.js';
import { isFile, listFiles, requireDirectory, stemOf } from './support/files.js';
import { reportProblem } from './support/problems.js';

const IMAGE_DIR = 'images/stacked_fetal_ultrasound';
const MASK_DIR = 'masks/stacked_fetal_abdomen';
const CIRCUMFERENCES = 'circumferences/fetal_abdominal_circumferences_per_sweep.csv';

async function subjects(rawDir: string, options: ConvertOptions): Promise<Map<string, string>> {
  const table = new Map<string, string>();
  if (!(await isFile(join(rawDir, CIRCUMFERENCES)))) return table;
  try {
    for (const row of await readCsvRecords(join(rawDir, CIRCUMFERENCES), ['uuid', 'subject_id'])) {
      table.set(row.uuid, row.subject_id);
    }
  } catch (error) {
    reportProblem(options, CIRCUMFERENCES, `unreadable: ${(error as Error).message}; exams are named by uuid`);
  }
  return table;
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  // The challenge's archive unpacks into acouslic-ai-train-set/; either that folder or its content.
  const imageDir = await requireDirectory(rawDir, [IMAGE_DIR, `acouslic-ai-train-set/${IMAGE_DIR}`], IMAGE_DIR);
  const root = imageDir.slice(0, imageDir.length - IMAGE_DIR.length);
  const subjectOf = await subjects(join(rawDir, root), options);
  const images = await listFiles(join(rawDir, imageDir), { extensions: ['.mha'] });
  if (images.length === 0) throw new Error(`ACOUSLIC: no .mha exams in ${join(rawDir, imageDir)}`);
  for (const file of images) {
    const uuid = stemOf(file);
    const source = `${imageDir}/${file}`;
    const maskSource = `${root}${MASK_DIR}/${file}`;
    if (!(await isFile(join(rawDir, maskSource)))) {
      reportProblem(options, source, `missing mask: ${maskSource} not found`);
      continue;
    }
    const patient = subjectOf.get(uuid) ?? uuid;
    try {
      const pairs = zipStreams(streamMetaImageFrames(join(rawDir, source)), streamMetaImageFrames(join(rawDir, maskSource)), (shorter, n) => {
        reportProblem(options, maskSource, `${shorter === 'first' ? 'image' : 'mask'} has fewer frames (stopped after ${n}): size mismatch`);
      });
      for await (const [frame, maskFrame] of pairs) {
        if (maskFrame.width !== frame.width || maskFrame.height !== frame.height) {
          reportProblem(options, maskSource, `size mismatch: mask frames are ${maskFrame.width}×${maskFrame.height}, image ${frame.width}×${frame.height}`);
          break;
        }
        const labels = frameLabels(maskFrame);
        const abdomen = new Uint8Array(labels.length);
        let optimal = false;
        let any = false;
        for (let i = 0; i < labels.length; i++) {
          if (labels[i] > 0) {
            abdomen[i] = 1;
            any = true;
            if (labels[i] === 1) optimal = true;
          }
        }
        if (!any) continue;
        yield {
          image: frameToImage(frame),
          patient,
          index: patient === uuid ? frame.index : `${uuid.slice(0, 8)}_${frame.index}`,
          sourceFile: source,
          masks: [{ category: 'abdomen', mask: abdomen }],
          labels: { plane: optimal ? 'optimal' : 'suboptimal', frame: frame.index },
        };
      }
    } catch (error) {
      if (options.strict) throw error;
      reportProblem(options, source, `unreadable exam: ${(error as Error).message}`);
    }
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'ACOUSLIC',
    aliases: ['acouslic-ai', 'ACOUSLIC-AI', 'acouslic_ai'],
    anatomy: 'fetal abdomen',
    structures: ['abdomen'],
    modality: 'B-mode ultrasound, blind-sweep frame sequences (MetaImage volumes)',
    url: 'https://acouslic-ai.grand-challenge.org/ (data: https://zenodo.org/records/12697994)',
    licence: "not verified: see the publisher's page (url)",
    citation: 'Sappia MS, et al. ACOUSLIC-AI challenge: AI for Combined Ultrasound and Sweep Localisation of fetal abdominal circumference, MICCAI 2024.',
    layout:
      '[acouslic-ai-train-set/]images/stacked_fetal_ultrasound/<uuid>.mha + masks/stacked_fetal_abdomen/<uuid>.mha (0 background, 1 optimal, 2 suboptimal plane); optional circumferences/fetal_abdominal_circumferences_per_sweep.csv (uuid, subject_id). Only frames with abdomen pixels are kept; labels 1 and 2 both become abdomen.',
    imageLabels: ['patient', 'pixel_spacing', 'plane', 'frame'],
  },
  convert,
};
