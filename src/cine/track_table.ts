// The area of a propagated mask frame by frame (area.csv of `ultrasam propagate`, the app's track CSV):
// one row per frame, empty cells where a frame has no mask or the clip no timing or calibration.
import type { FrameMask } from './propagate.js';

export interface TrackRow {
  frame: number;
  time_s: number | null;
  area_px: number | null;
  area_mm2: number | null;
  score: number | null;
  source: FrameMask['source'] | 'none';
}

export function trackRows(masks: readonly (FrameMask | undefined)[], timesMs?: readonly number[], pixelSpacingMm?: readonly [number, number]): TrackRow[] {
  return masks.map((m, frame) => ({
    frame,
    time_s: timesMs ? timesMs[frame] / 1000 : null,
    area_px: m ? m.area : null,
    area_mm2: m && pixelSpacingMm ? m.area * pixelSpacingMm[0] * pixelSpacingMm[1] : null,
    score: m ? m.score : null,
    source: m ? m.source : 'none',
  }));
}

export function trackCsv(rows: readonly TrackRow[]): string {
  const cell = (v: number | string | null) => (v === null ? '' : typeof v === 'number' ? String(Number(v.toFixed(6))) : v);
  const lines = rows.map((r) => [r.frame, r.time_s, r.area_px, r.area_mm2, r.score, r.source].map(cell).join(','));
  return ['frame,time_s,area_px,area_mm2,score,source', ...lines].join('\n') + '\n';
}
