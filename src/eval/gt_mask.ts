// Ground-truth masks of COCO annotations in the three forms COCO files use: compressed RLE (our
// corpus), uncompressed RLE (counts as a number array) and polygons (rasterised on COCO's pixel
// grid, pixel centres at +0.5, as pycocotools' frPyObjects approximately does).
import type { CocoAnnotation, CocoImage } from '../data/coco.js';
import { rasterisePolygon, unionInto } from '../data/masks.js';
import { decodeRle, runsToMask } from '../data/rle.js';

/** Row-major height×width mask (0/1) of an annotation on its image; clear errors for malformed ones. */
export function annotationMask(annotation: CocoAnnotation, image: CocoImage): Uint8Array {
  const where = `annotation ${annotation.id} (image ${image.id}, ${image.file_name})`;
  const { width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`image ${image.id} (${image.file_name}): width and height must be positive integers, got ${width}×${height}`);
  }
  const seg = annotation.segmentation as unknown;
  if (Array.isArray(seg)) {
    const mask = new Uint8Array(width * height);
    if (seg.length === 0) throw new Error(`${where}: segmentation is an empty list of polygons`);
    seg.forEach((polygon, k) => {
      if (!Array.isArray(polygon) || polygon.length % 2 !== 0 || polygon.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
        throw new Error(`${where}: segmentation polygon ${k} must be a flat list of finite x, y numbers`);
      }
      // Fewer than three points enclose nothing: drawn, two points became a line while the
      // annotation's area said 56,905 px, and the model was scored against that line.
      if (polygon.length < 6) {
        throw new Error(`${where}: segmentation polygon ${k} has ${polygon.length / 2} point(s); a polygon needs at least 3`);
      }
      const points: [number, number][] = [];
      for (let i = 0; i < polygon.length; i += 2) points.push([polygon[i], polygon[i + 1]]);
      unionInto(mask, rasterisePolygon(points, width, height, { grid: 'corner' }));
    });
    return mask;
  }
  if (!seg || typeof seg !== 'object') throw new Error(`${where}: "segmentation" is missing (an RLE or a list of polygons is needed)`);
  const rle = seg as { size?: unknown; counts?: unknown };
  if (!Array.isArray(rle.size) || rle.size.length !== 2) throw new Error(`${where}: segmentation RLE has no [height, width] "size"`);
  const [h, w] = rle.size as number[];
  if (h !== height || w !== width) {
    throw new Error(`${where}: segmentation size [${h}, ${w}] differs from the image's [height ${height}, width ${width}]`);
  }
  try {
    if (typeof rle.counts === 'string') return decodeRle({ size: [h, w], counts: rle.counts });
    if (Array.isArray(rle.counts)) return runsToMask(rle.counts as number[], h, w);
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`);
  }
  throw new Error(`${where}: segmentation RLE "counts" must be a string or a list of run lengths`);
}
