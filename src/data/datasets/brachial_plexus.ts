/**
 * brachial_plexus (Regional-US, "Automated Real Time Delineation of Supraclavicular Brachial Plexus
 * in Neck Ultrasonography Videos"): nerve plexus and block needle in regional-anaesthesia videos.
 * Raw layout (the GitHub repository's `data/` folder): `<Device>/videos/<id>.mp4` (Butterfly,
 * Sonosite), per-frame plexus masks `<Device>/ac_masks/<id>/<id>_<frame>.jpg` and, for some videos,
 * needle masks `<Device>/needle/needle_masks/<id>/<id>_<frame>.jpg` (JPEG: threshold ≥ 100, the
 * reference's rule).
 *
 * Masks are matched to video frames by the frame number in their name (0-based), not by position in
 * a sorted list as in the reference, because the published mask folders skip some frame numbers.
 * Frames without a plexus mask file are not annotated and are skipped. Videos decode with ffmpeg.
 */
import { join } from 'node:path';
import { toGray } from '../components.js';
import { readVideoFrames, requireFfmpeg } from '../formats/video.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { listFiles, stemOf } from './support/files.js';
import { readRawImage, reportProblem } from './support/problems.js';

/** JPEG mask pixels at or above this grey level are object (the reference: `mask >= 100`). */
const MASK_LEVEL = 100;

interface Video {
  file: string;
  device: string;
  plexus: Map<number, string>;
  needle: Map<number, string>;
}

function collect(files: string[]): Map<string, Video> {
  const videos = new Map<string, Video>();
  const masks: { id: string; frame: number; file: string; needle: boolean }[] = [];
  for (const file of files) {
    if (file.toLowerCase().endsWith('.mp4')) {
      const parts = file.split('/');
      const device = parts.length >= 3 && parts[parts.length - 2] === 'videos' ? parts[parts.length - 3] : '';
      videos.set(stemOf(file), { file, device, plexus: new Map(), needle: new Map() });
      continue;
    }
    const match = /^(.+)_(\d+)$/.exec(stemOf(file));
    if (!match) continue;
    const needle = /(^|\/)needle_masks\//.test(file);
    if (!needle && !/(^|\/)ac_masks\//.test(file)) continue;
    masks.push({ id: match[1], frame: Number(match[2]), file, needle });
  }
  for (const mask of masks) {
    const video = videos.get(mask.id);
    if (video) (mask.needle ? video.needle : video.plexus).set(mask.frame, mask.file);
  }
  return videos;
}

async function readMask(rawDir: string, file: string, image: { width: number; height: number }, options: ConvertOptions): Promise<Uint8Array | undefined> {
  const raw = await readRawImage(rawDir, file, options, 'mask');
  if (!raw) return undefined;
  if (raw.width !== image.width || raw.height !== image.height) {
    reportProblem(options, file, `size mismatch: mask is ${raw.width}×${raw.height}, video frame ${image.width}×${image.height}`);
    return undefined;
  }
  const grey = toGray(raw);
  const mask = new Uint8Array(grey.length);
  for (let i = 0; i < grey.length; i++) if (grey[i] >= MASK_LEVEL) mask[i] = 1;
  return mask;
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  await requireFfmpeg('brachial_plexus');
  const videos = collect(await listFiles(rawDir, { extensions: ['.mp4', '.jpg', '.jpeg'] }));
  if (videos.size === 0) throw new Error(`brachial_plexus: no <Device>/videos/<id>.mp4 under ${rawDir}`);
  for (const [id, video] of videos) {
    if (video.plexus.size === 0) {
      reportProblem(options, video.file, `missing mask: no ac_masks/${id}/${id}_<frame>.jpg`);
      continue;
    }
    try {
      for await (const { index, image } of readVideoFrames(join(rawDir, video.file), { datasetName: 'brachial_plexus', frames: video.plexus.keys() })) {
        const plexus = await readMask(rawDir, video.plexus.get(index)!, image, options);
        if (!plexus) continue;
        const masks: ConvertedSample['masks'] = [{ category: 'nerve_plexus', mask: plexus }];
        const needleFile = video.needle.get(index);
        if (needleFile) {
          const needle = await readMask(rawDir, needleFile, image, options);
          if (!needle) continue;
          masks.push({ category: 'needle', mask: needle });
        }
        yield {
          image,
          patient: id,
          index,
          sourceFile: video.file,
          masks,
          labels: { ...(video.device ? { device: video.device } : {}), frame: index },
        };
      }
    } catch (error) {
      if (options.strict) throw error;
      reportProblem(options, video.file, `unreadable video: ${(error as Error).message}`);
    }
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'brachial_plexus',
    aliases: ['brachial-plexus', 'Regional-US'],
    anatomy: 'neck: supraclavicular brachial plexus',
    structures: ['nerve_plexus', 'needle'],
    modality: 'B-mode ultrasound videos (MP4), Butterfly and Sonosite probes',
    url: 'https://github.com/Regional-US/brachial_plexus',
    licence: 'non-commercial data use agreement (repository README)',
    citation:
      'Automated Real Time Delineation of Supraclavicular Brachial Plexus in Neck Ultrasonography Videos: A Deep Learning Approach (Regional-US, 2023), https://github.com/Regional-US/brachial_plexus.',
    layout:
      '<Device>/videos/<id>.mp4 + <Device>/ac_masks/<id>/<id>_<frame>.jpg (+ <Device>/needle/needle_masks/<id>/<id>_<frame>.jpg); frames matched by number, frames without plexus mask skipped (needs ffmpeg).',
    imageLabels: ['patient', 'device', 'frame'],
  },
  convert,
};
