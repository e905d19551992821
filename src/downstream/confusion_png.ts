// The confusion matrix as a PNG drawn from raw pixels: rows are true classes, columns predicted
// ones (class order as in the report), each cell shaded by its share of the row (white 0 → blue 1)
// and labelled with its count in a 3×5 pixel digit font (no font library needed).
import { encodePng, writeFileAtomic } from '../image/write.js';

const DIGITS = [
  '111101101101111',
  '010110010010111',
  '111001111100111',
  '111001111001111',
  '101101111001001',
  '111100111001111',
  '111100111101111',
  '111001001001001',
  '111101111101111',
  '111101111001111',
];
const CELL = 48;
const SCALE = 3;
const BORDER = 2;

export function renderConfusion(confusion: readonly (readonly number[])[]): { data: Uint8Array; width: number; height: number } {
  const k = confusion.length;
  const side = k * CELL + (k + 1) * BORDER;
  const data = new Uint8Array(side * side * 3).fill(80); // grey grid lines
  const put = (x: number, y: number, rgb: readonly number[]) => data.set(rgb, (y * side + x) * 3);
  for (let r = 0; r < k; r++) {
    const total = confusion[r].reduce((a, b) => a + b, 0);
    for (let c = 0; c < k; c++) {
      const share = total ? confusion[r][c] / total : 0;
      const fill = [Math.round(255 - 225 * share), Math.round(255 - 175 * share), 255];
      const x0 = BORDER + c * (CELL + BORDER);
      const y0 = BORDER + r * (CELL + BORDER);
      for (let y = 0; y < CELL; y++) for (let x = 0; x < CELL; x++) put(x0 + x, y0 + y, fill);
      // Dark text on light cells, white on dark ones.
      const ink = share > 0.5 ? [255, 255, 255] : [0, 0, 0];
      const text = String(confusion[r][c]);
      const textW = text.length * 4 * SCALE - SCALE;
      const tx = x0 + Math.max(0, Math.floor((CELL - textW) / 2));
      const ty = y0 + Math.floor((CELL - 5 * SCALE) / 2);
      [...text].forEach((ch, i) => {
        const glyph = DIGITS[Number(ch)];
        for (let gy = 0; gy < 5; gy++) {
          for (let gx = 0; gx < 3; gx++) {
            if (glyph[gy * 3 + gx] !== '1') continue;
            for (let sy = 0; sy < SCALE; sy++) {
              for (let sx = 0; sx < SCALE; sx++) {
                const px = tx + (i * 4 + gx) * SCALE + sx;
                if (px < x0 + CELL) put(px, ty + gy * SCALE + sy, ink);
              }
            }
          }
        }
      });
    }
  }
  return { data, width: side, height: side };
}

export async function writeConfusionPng(path: string, confusion: readonly (readonly number[])[]): Promise<void> {
  const { data, width, height } = renderConfusion(confusion);
  await writeFileAtomic(path, await encodePng({ data, width, height, channels: 3 }));
}
