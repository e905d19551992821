/**
 * Frames of AVI / MP4 videos, decoded by the system ffmpeg (no maintained pure-JavaScript decoder
 * covers the codecs these datasets use). ffmpeg writes raw RGB24 frames to a pipe and we cut the
 * stream into frames as it comes, so only one frame is in memory at a time; when only some frames
 * are wanted, decoding stops after the last of them.
 *
 * Frame numbers are 0-based decode order (what OpenCV / mmcv's VideoReader index).
 */
import { spawn } from 'node:child_process';
import type { RawImage } from '../../image/types.js';
import { ByteReader } from './byte_reader.js';
import { captureTool, findExecutable, MissingToolError, type ToolSearch } from './system_tool.js';

export interface VideoOptions extends ToolSearch {
  /** Dataset being converted, named in the error when ffmpeg is missing. */
  datasetName: string;
  /** Only these frame numbers (0-based); all frames when absent. */
  frames?: Iterable<number>;
}

export interface VideoFrame {
  index: number;
  image: RawImage;
}

/** The ffmpeg executable, or a MissingToolError that says how to install it. */
export async function requireFfmpeg(datasetName: string, search: ToolSearch = {}): Promise<string> {
  const ffmpeg = await findExecutable('ffmpeg', search);
  if (!ffmpeg) {
    throw new MissingToolError(['ffmpeg'], `ffmpeg not found: install it (apt-get install ffmpeg) to convert ${datasetName}`);
  }
  return ffmpeg;
}

/** Width and height of the first video stream, from ffmpeg's own description of the input. */
export async function probeVideoSize(path: string, options: VideoOptions): Promise<{ width: number; height: number }> {
  const ffmpeg = await requireFfmpeg(options.datasetName, options);
  // `ffmpeg -i file` alone exits with an error ("no output file") after printing the streams.
  const { stderr } = await captureTool(ffmpeg, ['-hide_banner', '-nostdin', '-i', path]);
  const match = /Stream #[^\n]*Video:[^\n]*?\s(\d{2,5})x(\d{2,5})[\s,\]]/.exec(stderr);
  if (!match) throw new Error(`${path}: no video stream found by ffmpeg (${stderr.trim().split('\n').slice(-1)[0] ?? ''})`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

/** Decodes the frames of `path` (all, or those asked for) as RGB images, one at a time. */
export async function* readVideoFrames(path: string, options: VideoOptions): AsyncGenerator<VideoFrame> {
  const ffmpeg = await requireFfmpeg(options.datasetName, options);
  const { width, height } = await probeVideoSize(path, options);
  const wanted = options.frames === undefined ? undefined : new Set(options.frames);
  const last = wanted === undefined ? Infinity : Math.max(-1, ...wanted);
  if (last < 0) return;
  const child = spawn(ffmpeg, ['-hide_banner', '-v', 'error', '-nostdin', '-i', path, '-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const spawnFailed = new Promise<Error>((resolve) => child.on('error', resolve));
  const reader = new ByteReader(child.stdout as AsyncIterable<Buffer>);
  const frameBytes = width * height * 3;
  let index = 0;
  try {
    while (index <= last) {
      const bytes = await Promise.race([reader.read(frameBytes), spawnFailed.then((e) => Promise.reject(e))]);
      if (bytes.length === 0) break;
      if (bytes.length < frameBytes) throw new Error(`${path}: frame ${index} is truncated (${bytes.length} of ${frameBytes} bytes)`);
      if (wanted === undefined || wanted.has(index)) {
        yield { index, image: { data: new Uint8Array(bytes), width, height, channels: 3 } };
      }
      index++;
    }
    if (index <= last || wanted === undefined) {
      const code = await exited;
      if (code !== 0) throw new Error(`${path}: ffmpeg failed (exit ${code}): ${Buffer.concat(stderr).toString('utf8').trim().slice(-1000)}`);
    }
    if (wanted !== undefined && index <= last) {
      const missing = [...wanted].filter((f) => f >= index).sort((a, b) => a - b);
      throw new Error(`${path}: the video has ${index} frames, frame ${missing.join(', ')} does not exist`);
    }
  } finally {
    reader.close();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
