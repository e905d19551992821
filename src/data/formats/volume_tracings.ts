/**
 * EchoNet `VolumeTracings.csv`: left-ventricle tracings of a few frames (end-diastole, end-systole)
 * of each echocardiography video, turned into polygons and masks.
 *
 * Two published layouts:
 * - EchoNet-Dynamic: `FileName,X1,Y1,X2,Y2,Frame`. Per traced frame, the first row is the long axis
 *   (apex to mitral annulus) and each following row a chord across the ventricle, whose two end
 *   points lie on the two walls. The outline is every chord's (X1, Y1) in order, then every chord's
 *   (X2, Y2) in reverse (the UltraSam reference's construction; the long axis is left out).
 * - EchoNet-Pediatric: `FileName,X,Y,Frame`: the outline's points in order; rows whose Frame is
 *   "No Systolic" / "No Diastolic" carry no tracing and are skipped.
 * Coordinates are in video pixels; like `cv2.fillPoly` on `int32` points, vertices are truncated to
 * whole pixels and the outline's pixels are part of the mask.
 */
import { rasterisePolygon } from '../masks.js';
import { readCsvRecords } from '../datasets/support/csv.js';

export interface TracedFrame {
  /** Frame number exactly as written in the CSV. */
  frame: number;
  /** Outline vertices [x, y] in video pixels. */
  outline: [number, number][];
}

/** Tracings per video file name (as written in the CSV), frames in the CSV's order. */
export type VolumeTracings = Map<string, TracedFrame[]>;

/** Reads VolumeTracings.csv in either layout; rows that are not numbers are reported through `onBadRow`. */
export async function readVolumeTracings(path: string, onBadRow: (line: number, problem: string) => void): Promise<VolumeTracings> {
  const rows = await readCsvRecords(path, ['FileName', 'Frame']);
  const segments = rows.length > 0 && 'X1' in rows[0] && 'Y1' in rows[0] && 'X2' in rows[0] && 'Y2' in rows[0];
  if (rows.length > 0 && !segments && !('X' in rows[0] && 'Y' in rows[0])) {
    throw new Error(`${path}: expected columns X1,Y1,X2,Y2 or X,Y (found ${Object.keys(rows[0]).join(', ')})`);
  }
  // Group rows by video, then by frame, keeping the CSV's order.
  const grouped = new Map<string, Map<number, number[][]>>();
  rows.forEach((row, i) => {
    const line = i + 2; // header is line 1
    if (/^no\s/i.test(row.Frame.trim())) return;
    const frame = Number(row.Frame);
    const numbers = (segments ? [row.X1, row.Y1, row.X2, row.Y2] : [row.X, row.Y]).map(Number);
    if (!Number.isInteger(frame) || frame < 0 || numbers.some((n) => !Number.isFinite(n))) {
      onBadRow(line, `not a tracing row: ${JSON.stringify(row)}`);
      return;
    }
    const byFrame = grouped.get(row.FileName) ?? new Map<number, number[][]>();
    const list = byFrame.get(frame) ?? [];
    list.push(numbers);
    byFrame.set(frame, list);
    grouped.set(row.FileName, byFrame);
  });
  const tracings: VolumeTracings = new Map();
  for (const [file, byFrame] of grouped) {
    const frames: TracedFrame[] = [];
    for (const [frame, list] of byFrame) {
      let outline: [number, number][];
      if (segments) {
        const chords = list.slice(1);
        outline = [...chords.map((c) => [c[0], c[1]] as [number, number]), ...chords.reverse().map((c) => [c[2], c[3]] as [number, number])];
      } else {
        outline = list.map((p) => [p[0], p[1]] as [number, number]);
      }
      if (outline.length >= 3) frames.push({ frame, outline });
    }
    tracings.set(file, frames);
  }
  return tracings;
}

/** The filled outline as a width×height 0/1 mask (vertices truncated to pixels, outline included). */
export function tracingMask(outline: [number, number][], width: number, height: number): Uint8Array {
  const pixels = outline.map(([x, y]) => [Math.trunc(x), Math.trunc(y)] as [number, number]);
  return rasterisePolygon(pixels, width, height, { grid: 'centre', outline: true });
}
