/**
 * What MMDetection's CocoDataset and pycocotools rely on, checked in every file of an
 * `export-reference` layout, written independently of the exporter (it decodes every mask itself):
 * - every `file_name` exists under the folder the reference's configs join it to (the export root
 *   for merged files, `<DS>/images/` for a dataset's files) and is a PNG of the recorded size;
 * - image and annotation ids are unique positive safe integers (COCOeval reads id 0 as "unmatched");
 * - one category, `object`, and every annotation in it; `iscrowd` 0;
 * - RLE `size` is `[height, width]` of its image, `area` is the RLE's pixel count, and `bbox` is the
 *   mask's tight box as `[x, y, w, h]`, inside the image, with w, h ≥ 1 (CocoDataset drops others).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readCoco } from '../../src/data/coco.js';
import { readPngSize } from '../../src/data/raster.js';
import { stringToRuns } from '../../src/data/rle.js';

export interface InvariantReport {
  /** Files checked, relative to the root. */
  files: string[];
  images: number;
  annotations: number;
  problems: string[];
}

/** Every COCO file of the layout with the folder its file names are relative to. */
export function referenceFiles(root: string): { file: string; imagesRoot: string; merged: boolean }[] {
  const found: { file: string; imagesRoot: string; merged: boolean }[] = [];
  for (const entry of readdirSync(root).sort()) {
    const path = join(root, entry);
    if (entry.endsWith('.agnostic.noSmall.coco.json')) found.push({ file: entry, imagesRoot: root, merged: true });
    else if (statSync(path).isDirectory() && existsSync(join(path, 'annotations'))) {
      for (const name of readdirSync(join(path, 'annotations')).sort()) {
        if (name.endsWith('.json')) found.push({ file: join(entry, 'annotations', name), imagesRoot: join(path, 'images'), merged: false });
      }
    }
  }
  return found;
}

/** The tight box [x, y, w, h] of a column-major run list over an H-row mask. */
function boxOfRuns(runs: number[], height: number): [number, number, number, number] | undefined {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  let position = 0;
  for (let i = 0; i < runs.length; i++) {
    if (i % 2 === 1) {
      for (let k = position; k < position + runs[i]; k++) {
        const x = Math.floor(k / height);
        const y = k - x * height;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
    position += runs[i];
  }
  return Number.isFinite(x0) ? [x0, y0, x1 - x0 + 1, y1 - y0 + 1] : undefined;
}

export async function checkReferenceLayout(root: string): Promise<InvariantReport> {
  const report: InvariantReport = { files: [], images: 0, annotations: 0, problems: [] };
  for (const { file, imagesRoot, merged } of referenceFiles(root)) {
    report.files.push(file);
    const problem = (message: string) => report.problems.push(`${file}: ${message}`);
    const coco = await readCoco(join(root, file));
    report.images += coco.images.length;
    report.annotations += coco.annotations.length;
    if (coco.categories.length !== 1 || coco.categories[0].name !== 'object') problem(`categories ${JSON.stringify(coco.categories)}, expected one, "object"`);
    const categoryId = coco.categories[0]?.id;
    const images = new Map<number, { width: number; height: number }>();
    for (const image of coco.images) {
      if (!Number.isSafeInteger(image.id) || image.id < 1) problem(`image id ${JSON.stringify(image.id)} is not a positive safe integer`);
      if (images.has(image.id)) problem(`image id ${image.id} is used twice`);
      images.set(image.id, image);
      if (merged !== /^[^/]+\/images\/[^/]/.test(image.file_name)) problem(`image ${image.id}: file_name ${image.file_name} has the wrong form for a ${merged ? 'merged' : 'dataset'} file`);
      const path = join(imagesRoot, image.file_name);
      if (!existsSync(path)) {
        problem(`image ${image.id}: ${path} does not exist`);
        continue;
      }
      const size = await readPngSize(path);
      if (size.width !== image.width || size.height !== image.height) problem(`image ${image.id}: ${path} is ${size.width}×${size.height}, recorded ${image.width}×${image.height}`);
    }
    const annotationIds = new Set<number>();
    for (const a of coco.annotations) {
      const where = `annotation ${a.id}`;
      if (!Number.isSafeInteger(a.id) || a.id < 1) problem(`${where}: id is not a positive safe integer`);
      if (annotationIds.has(a.id)) problem(`annotation id ${a.id} is used twice`);
      annotationIds.add(a.id);
      if (a.category_id !== categoryId) problem(`${where}: category_id ${a.category_id}`);
      if (a.iscrowd !== 0) problem(`${where}: iscrowd ${a.iscrowd}`);
      const image = images.get(a.image_id);
      if (!image) {
        problem(`${where}: image_id ${a.image_id} is not an image of the file`);
        continue;
      }
      const [height, width] = a.segmentation.size;
      if (height !== image.height || width !== image.width) problem(`${where}: RLE size [${height}, ${width}], image is [${image.height}, ${image.width}]`);
      const runs = stringToRuns(a.segmentation.counts);
      if (runs.reduce((s, r) => s + r, 0) !== height * width) problem(`${where}: runs do not cover the image`);
      let pixels = 0;
      for (let i = 1; i < runs.length; i += 2) pixels += runs[i];
      if (a.area !== pixels) problem(`${where}: area ${a.area}, the RLE has ${pixels} pixels`);
      const box = boxOfRuns(runs, height);
      const [x, y, w, h] = a.bbox;
      if (!box || box.some((v, i) => v !== a.bbox[i])) problem(`${where}: bbox ${JSON.stringify(a.bbox)}, the mask's box is ${JSON.stringify(box)}`);
      if (!(x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= image.width && y + h <= image.height))
        problem(`${where}: bbox ${JSON.stringify(a.bbox)} is not inside the ${image.width}×${image.height} image`);
    }
  }
  return report;
}
