// Area against time as a PNG: one line with a dot per frame that has a mask (gaps where a frame has
// none), drawn as SVG and rasterised with sharp.
import sharp from 'sharp';
import { writeFileAtomic } from '../image/write.js';

export interface AreaPoint {
  /** Seconds, or the frame number when the clip has no timing. */
  x: number;
  /** mm², or px when uncalibrated; null where the frame has no mask. */
  y: number | null;
}

const W = 800;
const H = 400;
const M = { left: 80, right: 20, top: 30, bottom: 50 };

function ticks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

export function areaPlotSvg(points: readonly AreaPoint[], labels: { title: string; x: string; y: string }): string {
  const ys = points.flatMap((p) => (p.y === null ? [] : [p.y]));
  const x0 = points.length ? points[0].x : 0;
  const x1 = Math.max(points.length ? points[points.length - 1].x : 1, x0 + 1e-9);
  const yMax = Math.max(1e-9, ...ys) * 1.1;
  const px = (x: number) => M.left + ((x - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(labels.title)}</text>`,
  ];
  for (const v of ticks(0, yMax, 5)) {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(v)}" y2="${py(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 6}" y="${py(v) + 4}" text-anchor="end">${v}</text>`);
  }
  for (const v of ticks(x0, x1, 6)) {
    parts.push(`<line x1="${px(v)}" x2="${px(v)}" y1="${H - M.bottom}" y2="${H - M.bottom + 5}" stroke="black"/>`);
    parts.push(`<text x="${px(v)}" y="${H - M.bottom + 18}" text-anchor="middle">${v}</text>`);
  }
  parts.push(`<text x="${W / 2}" y="${H - 10}" text-anchor="middle">${escapeXml(labels.x)}</text>`);
  parts.push(`<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">${escapeXml(labels.y)}</text>`);
  // Consecutive frames with masks form one polyline; a frame without a mask breaks it.
  let run: string[] = [];
  const flush = () => {
    if (run.length > 1) parts.push(`<polyline points="${run.join(' ')}" fill="none" stroke="#08519c" stroke-width="2"/>`);
    run = [];
  };
  for (const p of points) {
    if (p.y === null) {
      flush();
      continue;
    }
    run.push(`${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`);
    parts.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="2.5" fill="#08519c"/>`);
  }
  flush();
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="black"/>`);
  parts.push('</svg>');
  return parts.join('\n');
}

export async function writeAreaPlot(path: string, points: readonly AreaPoint[], labels: { title: string; x: string; y: string }): Promise<void> {
  await writeFileAtomic(
    path,
    await sharp(Buffer.from(areaPlotSvg(points, labels)))
      .png()
      .toBuffer(),
  );
}
