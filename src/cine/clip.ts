// A cine clip for propagation: the frames of a multi-frame DICOM, of a video (decoded by ffmpeg), or
// the images of a folder (in natural name order: frame2 before frame10), with the time of each
// frame where the source says it and the pixel spacing where it is calibrated.
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { readDicomInfo } from '../image/dicom.js';
import { detectImageFormat } from '../image/format.js';
import { readImage, readImageFrames } from '../image/read.js';
import type { RawImage } from '../image/types.js';
import { readVideoFrames, requireFfmpeg } from '../data/formats/video.js';
import { captureTool } from '../data/formats/system_tool.js';

export interface Clip {
  /** The path given. */
  source: string;
  kind: 'dicom' | 'video' | 'folder' | 'image';
  frames: RawImage[];
  /** A name per frame: the file's for folders, `<name>#<k>` otherwise. */
  frameNames: string[];
  width: number;
  height: number;
  /** Time of each frame from the first, ms, when known. */
  timesMs?: number[];
  /** mm per pixel [x, y], when every frame is calibrated alike. */
  pixelSpacingMm?: [number, number];
}

const VIDEO_EXTENSIONS = new Set(['.mp4', '.avi', '.mov', '.mkv', '.webm', '.mpg', '.mpeg', '.wmv', '.m4v', '.ogv']);
const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp', '.gif', '.dcm']);

export async function readClip(path: string): Promise<Clip> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${path}: ${error.code === 'ENOENT' ? 'no such file or folder' : error.message}`);
  });
  if (info.isDirectory()) return readFolder(path);
  if (VIDEO_EXTENSIONS.has(extname(path).toLowerCase())) return readVideo(path);
  const bytes = await readFile(path);
  const frames = await readImageFrames(bytes, { name: path });
  const isDicomFile = detectImageFormat(bytes, path) === 'dicom';
  const timesMs = isDicomFile ? readDicomInfo(bytes, path).frameTimesMs : undefined;
  return finish(
    path,
    isDicomFile ? 'dicom' : 'image',
    frames,
    frames.map((_, k) => `${basename(path)}#${k}`),
    timesMs,
  );
}

async function readFolder(path: string): Promise<Clip> {
  const names = (await readdir(path)).filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (names.length === 0) throw new Error(`${path}: the folder holds no image files (${[...IMAGE_EXTENSIONS].join(', ')})`);
  const frames: RawImage[] = [];
  for (const name of names) frames.push(await readImage(join(path, name)));
  return finish(path, 'folder', frames, names, undefined);
}

async function readVideo(path: string): Promise<Clip> {
  const frames: RawImage[] = [];
  for await (const { image } of readVideoFrames(path, { datasetName: path })) frames.push(image);
  if (frames.length === 0) throw new Error(`${path}: ffmpeg decoded no frame`);
  // The stream's frame rate, from ffmpeg's description of the input ("25 fps").
  const { stderr } = await captureTool(await requireFfmpeg(path), ['-hide_banner', '-nostdin', '-i', path]);
  const fps = Number(/Video:[^\n]*?([\d.]+) fps/.exec(stderr)?.[1]);
  const timesMs = fps > 0 ? frames.map((_, k) => (k * 1000) / fps) : undefined;
  return finish(
    path,
    'video',
    frames,
    frames.map((_, k) => `${basename(path)}#${k}`),
    timesMs,
  );
}

function finish(source: string, kind: Clip['kind'], frames: RawImage[], frameNames: string[], timesMs: number[] | undefined): Clip {
  const { width, height } = frames[0];
  frames.forEach((f, k) => {
    if (f.width !== width || f.height !== height) {
      throw new Error(`${source}: frame ${k} (${frameNames[k]}) is ${f.width}×${f.height}, the first frame ${width}×${height}: a clip's frames share one size`);
    }
  });
  const spacing = frames[0].pixelSpacingMm;
  const sameSpacing = spacing && frames.every((f) => f.pixelSpacingMm && f.pixelSpacingMm[0] === spacing[0] && f.pixelSpacingMm[1] === spacing[1]);
  return { source, kind, frames, frameNames, width, height, ...(timesMs ? { timesMs } : {}), ...(sameSpacing ? { pixelSpacingMm: spacing } : {}) };
}
