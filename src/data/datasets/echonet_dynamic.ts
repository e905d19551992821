/**
 * EchoNet-Dynamic (Ouyang et al., Nature 2020): left ventricle in apical-4-chamber
 * echocardiography videos (10,030 videos, 112×112), traced at end-diastole and end-systole.
 * Raw layout (as released): `EchoNet-Dynamic/Videos/<FileName>.avi`, `EchoNet-Dynamic/FileList.csv`
 * (FileName, EF, ..., Split = TRAIN / VAL / TEST) and `EchoNet-Dynamic/VolumeTracings.csv`
 * (FileName, X1, Y1, X2, Y2, Frame: chords across the ventricle, see formats/volume_tracings.ts).
 *
 * Only the traced frames (0-based frame numbers, as OpenCV counts) become images, each with the
 * filled left-ventricle outline. Frames are decoded with the system ffmpeg. The publishers' split
 * is kept (TEST → test, VAL → val, TRAIN → train); the ejection fraction is an image label.
 */
import { join } from 'node:path';
import { readVolumeTracings, tracingMask, type VolumeTracings } from '../formats/volume_tracings.js';
import { readVideoFrames, requireFfmpeg } from '../formats/video.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { readCsvRecords } from './support/csv.js';
import { isFile, requireDirectory } from './support/files.js';
import { reportProblem } from './support/problems.js';

export interface TracedVideoSet {
  dataset: string;
  /** Folder (relative to the raw dir) holding Videos/ and VolumeTracings.csv. */
  folder: string;
  /** Added to the CSV's frame number to get the 0-based decoded frame. */
  frameOffset: number;
  /** Per-video image labels and official split, by file name stem. */
  videoInfo?: Map<string, { labels: Record<string, string | number>; split?: ConvertedSample['officialSplit'] }>;
  /** Labels added to every sample of the set (e.g. the view). */
  labels?: Record<string, string | number>;
  /** Prefix of the image index (e.g. the view), keeping indices unique across sets. */
  indexPrefix?: string;
}

/** Yields one sample per traced frame of every video of a set, decoding only those frames. */
export async function* convertTracedVideos(rawDir: string, set: TracedVideoSet, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  await requireFfmpeg(set.dataset);
  const csv = `${set.folder}/VolumeTracings.csv`.replace(/^\//, '');
  if (!(await isFile(join(rawDir, csv)))) throw new Error(`${set.dataset}: no ${csv} under ${rawDir}`);
  const tracings: VolumeTracings = await readVolumeTracings(join(rawDir, csv), (line, problem) => reportProblem(options, csv, `line ${line}: ${problem}`));
  const names = [...tracings.keys()].sort();
  for (const name of names) {
    const file = /\.[A-Za-z0-9]+$/.test(name) ? name : `${name}.avi`;
    const stem = file.replace(/\.[A-Za-z0-9]+$/, '');
    const video = `${set.folder}/Videos/${file}`.replace(/^\//, '');
    if (!(await isFile(join(rawDir, video)))) {
      reportProblem(options, csv, `missing video: ${video} (traced in VolumeTracings.csv) not found`);
      continue;
    }
    const traced = tracings.get(name)!;
    const byFrame = new Map(traced.map((t) => [t.frame + set.frameOffset, t]));
    const info = set.videoInfo?.get(stem);
    try {
      for await (const { index, image } of readVideoFrames(join(rawDir, video), { datasetName: set.dataset, frames: byFrame.keys() })) {
        const tracing = byFrame.get(index)!;
        const sample: ConvertedSample = {
          image,
          patient: stem,
          index: `${set.indexPrefix ?? ''}${index}`,
          sourceFile: video,
          masks: [{ category: 'left_ventricle', mask: tracingMask(tracing.outline, image.width, image.height) }],
          labels: { ...set.labels, ...info?.labels, frame: index },
        };
        if (info?.split) sample.officialSplit = info.split;
        yield sample;
      }
    } catch (error) {
      if (options.strict) throw error;
      reportProblem(options, video, `unreadable video: ${(error as Error).message}`);
    }
  }
}

const SPLITS: Record<string, ConvertedSample['officialSplit']> = { TRAIN: 'train', VAL: 'val', TEST: 'test' };

async function readFileList(rawDir: string, folder: string, options: ConvertOptions): Promise<TracedVideoSet['videoInfo']> {
  const path = `${folder}/FileList.csv`.replace(/^\//, '');
  const info: NonNullable<TracedVideoSet['videoInfo']> = new Map();
  if (!(await isFile(join(rawDir, path)))) return info;
  try {
    for (const row of await readCsvRecords(join(rawDir, path), ['FileName'])) {
      const labels: Record<string, string | number> = {};
      const ef = Number(row.EF);
      if (row.EF !== undefined && row.EF !== '' && Number.isFinite(ef)) labels.ejection_fraction = ef;
      info.set(row.FileName.replace(/\.avi$/i, ''), { labels, split: SPLITS[(row.Split ?? '').toUpperCase()] });
    }
  } catch (error) {
    reportProblem(options, path, `unreadable: ${(error as Error).message}`);
  }
  return info;
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  const folder = await requireDirectory(rawDir, ['EchoNet-Dynamic', ''], 'EchoNet-Dynamic');
  yield* convertTracedVideos(rawDir, { dataset: 'EchoNet-Dynamic', folder, frameOffset: 0, videoInfo: await readFileList(rawDir, folder, options) }, options);
}

export const dataset: DatasetModule = {
  info: {
    name: 'EchoNet-Dynamic',
    aliases: ['echonet-dynamic', 'echonet_dynamic', 'EchoNet_Dynamic'],
    anatomy: 'heart (left ventricle)',
    structures: ['left_ventricle'],
    modality: 'transthoracic echocardiography, apical 4-chamber videos (AVI)',
    url: 'https://echonet.github.io/dynamic/',
    licence: 'Stanford University School of Medicine EchoNet-Dynamic Dataset Research Use Agreement',
    citation: 'Ouyang D, He B, Ghorbani A, et al. Video-based AI for beat-to-beat assessment of cardiac function. Nature 580:252-256 (2020).',
    layout:
      '[EchoNet-Dynamic/]Videos/<FileName>.avi + VolumeTracings.csv (FileName,X1,Y1,X2,Y2,Frame) + FileList.csv (FileName,EF,...,Split); traced frames only (needs ffmpeg); Split kept as the official split.',
    imageLabels: ['patient', 'ejection_fraction', 'frame', 'official_split'],
  },
  convert,
};
