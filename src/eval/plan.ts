// Which images and annotations an evaluation visits: annotations grouped by image in file order,
// crowd ones kept only for AP, empty masks and images without instances skipped (and counted),
// --limit applied; and where each image file is.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CocoAnnotation, CocoFile, CocoImage } from '../data/coco.js';
import { annotationMask } from './gt_mask.js';

export interface SkipCounts {
  imagesWithoutInstances: number;
  imagesBeyondLimit: number;
  crowdAnnotations: number;
  emptyMasks: number;
}

export interface ImageWork {
  image: CocoImage;
  /** Non-empty, non-crowd annotations: one prompt each. */
  prompted: CocoAnnotation[];
  /** What COCOeval sees as ground truth, in file order: the prompted annotations and the crowd ones. */
  apGts: CocoAnnotation[];
}

function isEmpty(annotation: CocoAnnotation, image: CocoImage): boolean {
  return !annotationMask(annotation, image).some((v) => v);
}

/** The images to evaluate, in file order, with their prompted and AP annotations; counts what is skipped. */
export function planImages(coco: CocoFile, skipped: SkipCounts, limit: number | undefined): ImageWork[] {
  const byImage = new Map<number, CocoAnnotation[]>();
  for (const a of coco.annotations) {
    const list = byImage.get(a.image_id);
    if (list) list.push(a);
    else byImage.set(a.image_id, [a]);
  }
  const imageIds = new Set(coco.images.map((i) => i.id));
  const orphan = coco.annotations.find((a) => !imageIds.has(a.image_id));
  if (orphan) throw new Error(`annotation ${orphan.id} refers to image ${orphan.image_id}, which is not in "images"`);
  const work: ImageWork[] = [];
  for (const image of coco.images) {
    if (limit !== undefined && work.length >= limit) {
      if (byImage.has(image.id)) skipped.imagesBeyondLimit++;
      continue;
    }
    const apGts: CocoAnnotation[] = [];
    let empty = 0;
    for (const a of byImage.get(image.id) ?? []) {
      if (a.iscrowd !== 1 && isEmpty(a, image)) empty++;
      else apGts.push(a);
    }
    const prompted = apGts.filter((a) => a.iscrowd !== 1);
    skipped.emptyMasks += empty;
    if (prompted.length === 0) {
      skipped.imagesWithoutInstances++;
      continue;
    }
    skipped.crowdAnnotations += apGts.length - prompted.length;
    work.push({ image, prompted, apGts });
  }
  return work;
}

/** Dataset of an image: its `dataset` field, else the corpus file-name prefix `<dataset>__…`, else 'all'. */
export function datasetOf(image: CocoImage): string {
  if (image.dataset) return image.dataset;
  const name = basename(image.file_name);
  const cut = name.indexOf('__');
  return cut > 0 ? name.slice(0, cut) : 'all';
}

/** The image file: `file_name` under the images folder, else its base name there. */
export function resolveImage(imagesDir: string, image: CocoImage): string {
  const candidates = [join(imagesDir, image.file_name), join(imagesDir, basename(image.file_name))];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`image ${image.id}: file_name '${image.file_name}' not found (tried ${[...new Set(candidates)].join(', ')})`);
  return found;
}
