/**
 * Corpus statistics: the US-43d composition (datasets, anatomies, canonical structures, images and
 * instances, from the taxonomy in structures.ts) as tables and a PNG; images, annotations and patients
 * per dataset and category; a histogram of mask areas (log2 bins) drawn as a PNG.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { readCoco } from './coco.js';
import { finishedDatasets } from './merge.js';
import { canonicalStructure, datasetTaxonomy } from './structures.js';

/** The anatomy shown for a dataset folder the taxonomy does not know. */
export const UNMAPPED_ANATOMY = 'not in the taxonomy';

export interface CategoryStats {
  /** Canonical structure (structures.ts), or the category's own name where the taxonomy has none. */
  structure: string;
  /** False where the taxonomy does not map this dataset's category. */
  mapped: boolean;
  images: number;
  annotations: number;
  medianArea: number;
}

export interface DatasetStats {
  name: string;
  /** The dataset's anatomy in the taxonomy, or UNMAPPED_ANATOMY. */
  anatomy: string;
  images: number;
  annotations: number;
  patients: number;
  imagesWithoutAnnotations: number;
  /** By the dataset's own category names. */
  categories: Record<string, CategoryStats>;
  /** Canonical structures with at least one instance here, sorted. */
  structures: string[];
}

export interface StructureStats {
  name: string;
  mapped: boolean;
  anatomies: string[];
  datasets: string[];
  /** Images showing the structure at least once. */
  images: number;
  annotations: number;
}

export interface AreaHistogram {
  /** Bin k counts annotations with 2^k ≤ area < 2^(k+1) pixels. */
  counts: number[];
}

export interface CorpusStats {
  datasets: DatasetStats[];
  /** Canonical structures with at least one instance, sorted by name. */
  structures: StructureStats[];
  /** Anatomies of the datasets, sorted. */
  anatomies: string[];
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

const byName = (a: string, b: string) => a.localeCompare(b, 'en', { sensitivity: 'base' });

/** Statistics of the finished datasets under `corpusDir` (or only `datasets`). */
export async function corpusStats(corpusDir: string, datasets?: string[]): Promise<CorpusStats> {
  const names = datasets ?? (await finishedDatasets(corpusDir));
  const histogram: number[] = [];
  const result: CorpusStats = { datasets: [], structures: [], anatomies: [], images: 0, annotations: 0, areaHistogram: { counts: histogram } };
  const structures = new Map<string, { mapped: boolean; anatomies: Set<string>; datasets: Set<string>; images: number; annotations: number }>();
  for (const name of names) {
    const coco = await readCoco(join(corpusDir, name, `${name}.coco.json`));
    const anatomy = datasetTaxonomy(name)?.anatomy ?? UNMAPPED_ANATOMY;
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
    // Images per canonical structure within this dataset: two categories of one structure
    // (benign and malignant) in one image count that image once.
    const structureImages = new Map<string, Set<number>>();
    for (const [category, values] of areas) {
      const canonical = canonicalStructure(name, category);
      const structure = canonical ?? category;
      categories[category] = { structure, mapped: canonical !== undefined, images: imagesOf.get(category)!.size, annotations: values.length, medianArea: median(values) };
      if (values.length === 0) continue;
      const entry = structures.get(structure) ?? { mapped: canonical !== undefined, anatomies: new Set(), datasets: new Set(), images: 0, annotations: 0 };
      entry.anatomies.add(anatomy);
      entry.datasets.add(name);
      entry.annotations += values.length;
      structures.set(structure, entry);
      const seen = structureImages.get(structure) ?? new Set<number>();
      for (const id of imagesOf.get(category)!) seen.add(id);
      structureImages.set(structure, seen);
    }
    for (const [structure, ids] of structureImages) structures.get(structure)!.images += ids.size;
    const patients = new Set(coco.images.flatMap((i) => (i.patient ? [i.patient] : [])));
    result.datasets.push({
      name,
      anatomy,
      images: coco.images.length,
      annotations: coco.annotations.length,
      patients: patients.size,
      imagesWithoutAnnotations: coco.images.filter((i) => !annotated.has(i.id)).length,
      categories,
      structures: [...structureImages.keys()].sort(byName),
    });
    result.images += coco.images.length;
    result.annotations += coco.annotations.length;
  }
  result.structures = [...structures]
    .map(([name, s]) => ({ name, mapped: s.mapped, anatomies: [...s.anatomies].sort(byName), datasets: [...s.datasets].sort(byName), images: s.images, annotations: s.annotations }))
    .sort((a, b) => byName(a.name, b.name));
  result.anatomies = [...new Set(result.datasets.map((d) => d.anatomy))].sort(byName);
  return result;
}

/** Datasets in table order: by anatomy, then by name. */
function compositionOrder(stats: CorpusStats): DatasetStats[] {
  return [...stats.datasets].sort((a, b) => byName(a.anatomy, b.anatomy) || byName(a.name, b.name));
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** A structure name for a table, marked where the taxonomy does not know it. */
function shownStructure(name: string, mapped: boolean): string {
  return mapped ? name : `${name} (unmapped)`;
}

function shownStructures(stats: CorpusStats, names: string[]): string {
  const mapped = new Map(stats.structures.map((s) => [s.name, s.mapped]));
  return names.map((n) => shownStructure(n, mapped.get(n) !== false)).join(', ') || '—';
}

function unmappedNote(stats: CorpusStats): string {
  return stats.structures.some((s) => !s.mapped) || stats.anatomies.includes(UNMAPPED_ANATOMY)
    ? "\n\nunmapped: not in the structure taxonomy (src/data/structures.ts); shown by the dataset's own category name"
    : '';
}

/** The US-43d composition table (Markdown): one row per dataset, totals last. */
export function compositionTable(stats: CorpusStats): string {
  const rows = ['| dataset | anatomy | structures | images | instances |', '| --- | --- | --- | ---: | ---: |'];
  for (const d of compositionOrder(stats)) rows.push(`| ${d.name} | ${d.anatomy} | ${shownStructures(stats, d.structures)} | ${d.images} | ${d.annotations} |`);
  rows.push(
    `| **${plural(stats.datasets.length, 'dataset', 'datasets')}** | **${plural(stats.anatomies.length, 'anatomy', 'anatomies')}** | ` +
      `**${plural(stats.structures.length, 'structure', 'structures')}** | **${stats.images}** | **${stats.annotations}** |`,
  );
  return rows.join('\n') + unmappedNote(stats);
}

/** One row per canonical structure: where it comes from, images showing it and its instances. */
export function structureTable(stats: CorpusStats): string {
  const rows = ['| structure | anatomies | datasets | images | instances |', '| --- | --- | --- | ---: | ---: |'];
  for (const s of stats.structures) rows.push(`| ${shownStructure(s.name, s.mapped)} | ${s.anatomies.join(', ')} | ${s.datasets.join(', ')} | ${s.images} | ${s.annotations} |`);
  return rows.join('\n') + unmappedNote(stats);
}

/** Colours of the anatomies in the composition plot (matplotlib's tab20, then repeated). */
const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#aec7e8',
  '#ffbb78',
  '#98df8a',
  '#ff9896',
  '#c5b0d5',
  '#c49c94',
  '#f7b6d2',
  '#c7c7c7',
  '#dbdb8d',
  '#9edae5',
];

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * The composition as a PNG: one bar per dataset (instances, linear scale, grouped and coloured by
 * anatomy) with its images and instances written beside it, a legend of the anatomies and the
 * totals in the title. Drawn as SVG by sharp (where fonts are missing the bars still stand).
 * `plotWidth` is the length of the longest bar in pixels.
 */
export async function drawComposition(stats: CorpusStats, path: string, plotWidth = 520): Promise<void> {
  const rows = compositionOrder(stats);
  const rowHeight = 22;
  const top = 56;
  // Room for the longest dataset name at about 7.5 px per character of 12 px sans-serif.
  const labelWidth = Math.max(120, 24 + Math.ceil(7.5 * Math.max(0, ...rows.map((d) => d.name.length))));
  const right = 110;
  const width = Math.max(labelWidth + plotWidth + right, 760);
  const legendColumns = 3;
  const legendRows = Math.ceil(stats.anatomies.length / legendColumns);
  const height = top + Math.max(rows.length, 1) * rowHeight + 24 + legendRows * 20 + 16;
  const colour = new Map(stats.anatomies.map((a, i) => [a, PALETTE[i % PALETTE.length]]));
  const max = Math.max(1, ...rows.map((d) => d.annotations));
  const parts: string[] = [
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="bold">US-43d composition: ${escapeXml(
      `${plural(stats.datasets.length, 'dataset', 'datasets')}, ${plural(stats.anatomies.length, 'anatomy', 'anatomies')}, ` +
        `${plural(stats.structures.length, 'structure', 'structures')}, ${stats.images} images, ${stats.annotations} instances`,
    )}</text>`,
    `<text x="${labelWidth}" y="${top - 10}" font-size="12" fill="#555555">instances per dataset (images / instances at the bar's end)</text>`,
    `<line x1="${labelWidth}" y1="${top - 4}" x2="${labelWidth}" y2="${top + rows.length * rowHeight}" stroke="#000000"/>`,
  ];
  rows.forEach((d, i) => {
    const y = top + i * rowHeight;
    const bar = Math.max(d.annotations > 0 ? 1 : 0, Math.round((d.annotations / max) * plotWidth));
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" font-size="12" text-anchor="end">${escapeXml(d.name)}</text>`,
      `<rect x="${labelWidth + 1}" y="${y + 3}" width="${bar}" height="${rowHeight - 6}" fill="${colour.get(d.anatomy)}"/>`,
      `<text x="${labelWidth + bar + 6}" y="${y + 15}" font-size="12">${d.images} / ${d.annotations}</text>`,
    );
  });
  const legendTop = top + rows.length * rowHeight + 24;
  const columnWidth = (width - 32) / legendColumns;
  stats.anatomies.forEach((anatomy, i) => {
    const x = 16 + (i % legendColumns) * columnWidth;
    const y = legendTop + Math.floor(i / legendColumns) * 20;
    parts.push(`<rect x="${x}" y="${y}" width="14" height="14" fill="${colour.get(anatomy)}"/>`, `<text x="${x + 20}" y="${y + 12}" font-size="12">${escapeXml(anatomy)}</text>`);
  });
  const svg = `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">${parts.join('')}</svg>`;
  await sharp(Buffer.from(svg)).png().toFile(path);
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
  const labels = counts.map((_, bin) => (bin % 2 === 0 ? `<text x="${margin.left + (bin + 0.5) * barWidth}" y="${height - margin.bottom + 16}" text-anchor="middle">2^${bin}</text>` : '')).join('');
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
