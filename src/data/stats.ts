/**
 * Corpus statistics: images, annotations and patients per dataset and category, and a histogram of
 * mask areas (log2 bins) drawn as a PNG.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { readCoco } from './coco.js';
import { finishedDatasets } from './merge.js';

export interface CategoryStats {
  images: number;
  annotations: number;
  medianArea: number;
}

export interface DatasetStats {
  name: string;
  images: number;
  annotations: number;
  patients: number;
  imagesWithoutAnnotations: number;
  categories: Record<string, CategoryStats>;
}

export interface AreaHistogram {
  /** Bin k counts annotations with 2^k ≤ area < 2^(k+1) pixels. */
  counts: number[];
}

export interface CorpusStats {
  datasets: DatasetStats[];
  images: number;
  annotations: number;
  areaHistogram: AreaHistogram;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Statistics of the finished datasets under `corpusDir` (or only `datasets`). */
export async function corpusStats(corpusDir: string, datasets?: string[]): Promise<CorpusStats> {
  const names = datasets ?? (await finishedDatasets(corpusDir));
  const histogram: number[] = [];
  const result: CorpusStats = { datasets: [], images: 0, annotations: 0, areaHistogram: { counts: histogram } };
  for (const name of names) {
    const coco = await readCoco(join(corpusDir, name, `${name}.coco.json`));
    const nameOf = new Map(coco.categories.map((c) => [c.id, c.name]));
    const areas = new Map<string, number[]>(coco.categories.map((c) => [c.name, []]));
    const imagesOf = new Map<string, Set<number>>(coco.categories.map((c) => [c.name, new Set()]));
    const annotated = new Set<number>();
    for (const annotation of coco.annotations) {
      const category = nameOf.get(annotation.category_id) ?? `#${annotation.category_id}`;
      if (!areas.has(category)) {
        areas.set(category, []);
        imagesOf.set(category, new Set());
      }
      areas.get(category)!.push(annotation.area);
      imagesOf.get(category)!.add(annotation.image_id);
      annotated.add(annotation.image_id);
      if (annotation.area >= 1) {
        const bin = Math.floor(Math.log2(annotation.area));
        while (histogram.length <= bin) histogram.push(0);
        histogram[bin]++;
      }
    }
    const categories: Record<string, CategoryStats> = {};
    for (const [category, values] of areas) {
      categories[category] = { images: imagesOf.get(category)!.size, annotations: values.length, medianArea: median(values) };
    }
    const patients = new Set(coco.images.flatMap((i) => (i.patient ? [i.patient] : [])));
    result.datasets.push({
      name,
      images: coco.images.length,
      annotations: coco.annotations.length,
      patients: patients.size,
      imagesWithoutAnnotations: coco.images.filter((i) => !annotated.has(i.id)).length,
      categories,
    });
    result.images += coco.images.length;
    result.annotations += coco.annotations.length;
  }
  return result;
}

/** A Markdown table: one row per dataset and category. */
export function statsTable(stats: CorpusStats): string {
  const rows = ['| dataset | images | patients | category | images with it | annotations | median area (px) |', '| --- | ---: | ---: | --- | ---: | ---: | ---: |'];
  for (const d of stats.datasets) {
    const entries = Object.entries(d.categories);
    if (entries.length === 0) rows.push(`| ${d.name} | ${d.images} | ${d.patients} | — | 0 | 0 | — |`);
    for (const [category, c] of entries) {
      rows.push(`| ${d.name} | ${d.images} | ${d.patients} | ${category} | ${c.images} | ${c.annotations} | ${c.medianArea} |`);
    }
  }
  rows.push(`| **total** | ${stats.images} | | | | ${stats.annotations} | |`);
  return rows.join('\n');
}

/**
 * Draws the area histogram: bars on raw RGB pixels (one per log2 bin, heights linear in the count),
 * with axis labels composited from SVG text (where fonts are missing the bars still stand alone).
 */
export async function drawAreaHistogram(histogram: AreaHistogram, path: string, width = 720, height = 360): Promise<void> {
  const margin = { left: 56, right: 16, top: 24, bottom: 44 };
  const pixels = Buffer.alloc(width * height * 3, 255);
  const set = (x: number, y: number, [r, g, b]: [number, number, number]) => {
    const o = (y * width + x) * 3;
    pixels[o] = r;
    pixels[o + 1] = g;
    pixels[o + 2] = b;
  };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  for (let x = margin.left; x < width - margin.right; x++) set(x, height - margin.bottom, [0, 0, 0]);
  for (let y = margin.top; y <= height - margin.bottom; y++) set(margin.left, y, [0, 0, 0]);
  const counts = histogram.counts;
  const bins = Math.max(counts.length, 1);
  const max = Math.max(1, ...counts);
  const barWidth = plotWidth / bins;
  counts.forEach((count, bin) => {
    const barHeight = Math.round((count / max) * plotHeight);
    const x0 = Math.round(margin.left + 1 + bin * barWidth + 1);
    const x1 = Math.round(margin.left + 1 + (bin + 1) * barWidth - 1);
    for (let x = x0; x < x1; x++) {
      for (let y = height - margin.bottom - barHeight; y < height - margin.bottom; y++) set(x, y, [46, 109, 180]);
    }
  });
  const labels = counts
    .map((_, bin) => (bin % 2 === 0 ? `<text x="${margin.left + (bin + 0.5) * barWidth}" y="${height - margin.bottom + 16}" text-anchor="middle">2^${bin}</text>` : ''))
    .join('');
  const svg = `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="12">
${labels}
<text x="${margin.left + plotWidth / 2}" y="${height - 8}" text-anchor="middle">mask area (pixels, log2 bins)</text>
<text x="${margin.left - 6}" y="${margin.top + 4}" text-anchor="end">${max}</text>
<text x="${margin.left - 6}" y="${height - margin.bottom}" text-anchor="end">0</text>
<text x="${margin.left}" y="16">annotations per bin</text>
</svg>`;
  await sharp(pixels, { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toFile(path);
}
