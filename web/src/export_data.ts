// What the app exports, built from plain data so it is the same in the page and in the tests: COCO
// JSON with RLE masks (src/data/rle.ts, pycocotools' encoding) and the measurement table.
import type { CocoAnnotation as CorpusAnnotation } from '../../src/data/coco.js';
import { encodeMask, rleArea, rleToBbox } from '../../src/data/rle.js';
import type { ObjectPrompt } from './annotations.js';

export interface ExportedObject {
  name: string;
  /** Row-major width × height, non-zero = object. */
  mask: Uint8Array;
  /** The decoder's predicted IoU of the mask. */
  score: number;
  prompt: ObjectPrompt;
}

export interface ExportImage {
  fileName: string;
  width: number;
  height: number;
  /** DICOM frame, from 0, for multi-frame files. */
  frame?: number;
  pixelSpacingMm?: [number, number];
}

/** The corpus's annotation (src/data/coco.ts) as the app writes it: never a crowd, with a score. */
export interface CocoAnnotation extends Omit<CorpusAnnotation, 'iscrowd' | 'structure'> {
  iscrowd: 0;
  score: number;
  /**
   * The prompt that made the mask, in image pixels. The last `corrections.length` points were
   * corrective clicks, in order, each decoded with the low-resolution logits of the output shown for
   * the prompt before it as the mask input — entry i that output (0 single mask, 1–3 candidates), null
   * for SAM's default (src/eval/click_rule.ts). Without corrections, `ultrasam segment` with the same
   * points and box reproduces the mask; with them, SamPredictor.predict click by click with `maskInput`.
   */
  ultrasam_prompt: { points: [number, number][]; labels: number[]; box: [number, number, number, number] | null; corrections: (number | null)[] };
}

export interface CocoFile {
  info: { description: string; date_created: string };
  images: { id: number; file_name: string; width: number; height: number; frame?: number; pixel_spacing_mm?: [number, number] }[];
  categories: { id: number; name: string }[];
  annotations: CocoAnnotation[];
}

/** One COCO file for the image; each distinct object name becomes a category. */
export function buildCoco(image: ExportImage, objects: readonly ExportedObject[], now = new Date()): CocoFile {
  const categories: { id: number; name: string }[] = [];
  const categoryOf = (name: string) => {
    let category = categories.find((c) => c.name === name);
    if (!category) {
      category = { id: categories.length + 1, name };
      categories.push(category);
    }
    return category.id;
  };
  const annotations = objects.map((o, i): CocoAnnotation => {
    const segmentation = encodeMask(o.mask, image.height, image.width);
    return {
      id: i + 1,
      image_id: 1,
      category_id: categoryOf(o.name),
      segmentation,
      area: rleArea(segmentation),
      bbox: rleToBbox(segmentation),
      iscrowd: 0,
      score: o.score,
      ultrasam_prompt: {
        points: o.prompt.points.map(([x, y]) => [x, y]),
        labels: [...o.prompt.labels],
        box: o.prompt.box ? [...o.prompt.box] : null,
        corrections: [...o.prompt.corrections],
      },
    };
  });
  return {
    info: { description: 'ultrasam app annotations', date_created: now.toISOString() },
    images: [
      {
        id: 1,
        file_name: image.fileName,
        width: image.width,
        height: image.height,
        ...(image.frame !== undefined ? { frame: image.frame } : {}),
        ...(image.pixelSpacingMm ? { pixel_spacing_mm: image.pixelSpacingMm } : {}),
      },
    ],
    categories,
    annotations,
  };
}

export interface Measurement {
  name: string;
  areaPx: number;
  /** Only when the image carries a calibration (DICOM). */
  areaMm2?: number;
  score: number;
}

export function measure(objects: readonly ExportedObject[], pixelSpacingMm?: [number, number]): Measurement[] {
  return objects.map((o) => {
    let areaPx = 0;
    for (let i = 0; i < o.mask.length; i++) if (o.mask[i]) areaPx++;
    const areaMm2 = pixelSpacingMm ? areaPx * pixelSpacingMm[0] * pixelSpacingMm[1] : undefined;
    return { name: o.name, areaPx, ...(areaMm2 !== undefined ? { areaMm2 } : {}), score: o.score };
  });
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function measurementsCsv(rows: readonly Measurement[]): string {
  const lines = ['object,area_px,area_mm2,score'];
  for (const r of rows) lines.push([csvField(r.name), r.areaPx, r.areaMm2 !== undefined ? r.areaMm2.toFixed(3) : '', r.score.toFixed(4)].join(','));
  return `${lines.join('\n')}\n`;
}

/** A file name from an object name: letters, digits, dot, dash and underscore only. */
export function safeFileName(name: string): string {
  return (
    name
      .trim()
      .replace(/[^\w.-]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'object'
  );
}
