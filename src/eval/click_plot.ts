// Mean Dice against the number of clicks, one line per dataset (the model card's plot): drawn as
// SVG, rasterised to PNG.
import { escapeXml, ticks, writeSvgAsPng } from '../image/plot.js';

export interface ClickCurve {
  name: string;
  /** Mean Dice after click 1..K. */
  dice: readonly number[];
}

const PLOT_WIDTH = 566;
const H = 460;
/** Legend text width per character at font size 12 (sans-serif, generous). */
const CHAR_WIDTH = 7;
/** Colour-blind-safe palette (Okabe–Ito), then greys. */
const COLOURS = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7', '#000000', '#777777', '#BBBBBB', '#444444'];

export function clickCurveSvg(curves: readonly ClickCurve[], title: string): string {
  if (curves.length === 0) throw new Error('click plot: no curves');
  // The legend column grows with the longest dataset name, so that no name is cut off.
  const M = { left: 64, right: Math.max(190, 50 + CHAR_WIDTH * Math.max(...curves.map((c) => c.name.length))), top: 36, bottom: 50 };
  const W = M.left + PLOT_WIDTH + M.right;
  const k = Math.max(...curves.map((c) => c.dice.length));
  if (k < 1) throw new Error('click plot: curves without values');
  for (const c of curves) if (c.dice.some((v) => !Number.isFinite(v))) throw new Error(`click plot: '${c.name}' has a non-finite Dice`);
  const lo = Math.max(0, Math.floor(Math.min(...curves.flatMap((c) => c.dice)) * 10) / 10);
  const hi = 1;
  const px = (click: number) => M.left + (k === 1 ? 0.5 : (click - 1) / (k - 1)) * (W - M.left - M.right);
  const py = (dice: number) => H - M.bottom - ((dice - lo) / (hi - lo || 1)) * (H - M.top - M.bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${(W - M.right + M.left) / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
  ];
  for (const v of ticks(lo, hi, 6)) {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(v)}" y2="${py(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 6}" y="${py(v) + 4}" text-anchor="end">${v}</text>`);
  }
  for (let c = 1; c <= k; c++) parts.push(`<text x="${px(c)}" y="${H - M.bottom + 18}" text-anchor="middle">${c}</text>`);
  parts.push(`<text x="${(W - M.right + M.left) / 2}" y="${H - 12}" text-anchor="middle">clicks</text>`);
  parts.push(`<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">mean Dice</text>`);
  curves.forEach((curve, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const points = curve.dice.map((d, j) => `${px(j + 1).toFixed(1)},${py(d).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const [j, d] of curve.dice.entries()) parts.push(`<circle cx="${px(j + 1).toFixed(1)}" cy="${py(d).toFixed(1)}" r="3" fill="${colour}"/>`);
    const y = M.top + 10 + i * 20;
    parts.push(`<line x1="${W - M.right + 14}" x2="${W - M.right + 38}" y1="${y}" y2="${y}" stroke="${colour}" stroke-width="3"/>`);
    parts.push(`<text x="${W - M.right + 44}" y="${y + 4}">${escapeXml(curve.name)}</text>`);
  });
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="black"/>`);
  parts.push('</svg>');
  return parts.join('\n');
}

export async function writeClickPlot(path: string, curves: readonly ClickCurve[], title: string): Promise<void> {
  await writeSvgAsPng(path, clickCurveSvg(curves, title));
}
