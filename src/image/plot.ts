// Small helpers for the charts the project draws as SVG and rasterises with sharp (loss curves,
// Dice-per-click curves): round axis ticks, text escaping, and SVG → PNG written atomically.
import sharp from 'sharp';
import { writeFileAtomic } from './write.js';

/** Round tick values covering [lo, hi], about `count` of them. */
export function ticks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

export async function writeSvgAsPng(path: string, svg: string): Promise<void> {
  await writeFileAtomic(path, await sharp(Buffer.from(svg)).png().toBuffer());
}
