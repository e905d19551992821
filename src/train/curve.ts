// The loss curve as a PNG: the per-step loss (light) and its centred moving average (dark, no lag)
// against the step, drawn as SVG and rasterised with sharp.
import { escapeXml, ticks, writeSvgAsPng } from '../image/plot.js';

export interface CurvePoint {
  step: number;
  loss: number;
}

const W = 800;
const H = 400;
const M = { left: 70, right: 20, top: 30, bottom: 50 };

export function curveSvg(points: readonly CurvePoint[], title: string): string {
  if (points.length === 0) throw new Error('loss curve: no points');
  // Mean over ±half steps around each point (a window of about 1/15 of the run).
  const half = Math.floor(points.length / 30);
  const prefix = [0];
  for (const p of points) prefix.push(prefix[prefix.length - 1] + p.loss);
  const smooth = points.map((_, i) => {
    const lo = Math.max(0, i - half);
    const hi = Math.min(points.length, i + half + 1);
    return (prefix[hi] - prefix[lo]) / (hi - lo);
  });
  const sorted = points.map((p) => p.loss).sort((a, b) => a - b);
  // Ignore the top 2 % of losses for the scale: one early spike should not flatten the curve.
  const yMax = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.98))] * 1.05;
  const yMin = Math.min(0, sorted[0]);
  const x0 = points[0].step;
  const x1 = Math.max(points[points.length - 1].step, x0 + 1);
  const px = (step: number) => M.left + ((step - x0) / (x1 - x0)) * (W - M.left - M.right);
  const py = (loss: number) => H - M.bottom - ((Math.min(loss, yMax) - yMin) / (yMax - yMin || 1)) * (H - M.top - M.bottom);
  const line = (ys: number[]) => points.map((p, i) => `${px(p.step).toFixed(1)},${py(ys[i]).toFixed(1)}`).join(' ');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
  ];
  for (const v of ticks(yMin, yMax, 5)) {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(v)}" y2="${py(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 6}" y="${py(v) + 4}" text-anchor="end">${v}</text>`);
  }
  for (const v of ticks(x0, x1, 6)) {
    parts.push(`<line x1="${px(v)}" x2="${px(v)}" y1="${H - M.bottom}" y2="${H - M.bottom + 5}" stroke="black"/>`);
    parts.push(`<text x="${px(v)}" y="${H - M.bottom + 18}" text-anchor="middle">${v}</text>`);
  }
  parts.push(`<text x="${W / 2}" y="${H - 10}" text-anchor="middle">step</text>`);
  parts.push(`<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">loss</text>`);
  parts.push(`<polyline points="${line(points.map((p) => p.loss))}" fill="none" stroke="#9ecae1" stroke-width="1"/>`);
  parts.push(`<polyline points="${line(smooth)}" fill="none" stroke="#08519c" stroke-width="2"/>`);
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="black"/>`);
  parts.push('</svg>');
  return parts.join('\n');
}

export async function writeLossCurve(path: string, points: readonly CurvePoint[], title: string): Promise<void> {
  await writeSvgAsPng(path, curveSvg(points, title));
}
