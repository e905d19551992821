// Shared pieces of the training tests: a tiny SAM and a tiny synthetic COCO corpus (bright ellipses
// on noise, grey PNGs of a few tens of pixels, masks as RLE or polygons), written to a temp folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeMask } from '../../src/data/rle.js';
import { Rng } from '../../src/graph/random.js';
import { encodePng } from '../../src/image/write.js';
import { type SamConfig, samConfig } from '../../src/model/config.js';
import { tempDir } from '../helpers/temp_dir.js';

/** 64-pixel input, 16-pixel patches: a 4 × 4 embedding grid and 16 × 16 low-resolution masks. */
export function tinyTrainConfig(): SamConfig {
  return samConfig('vit_b', {
    name: 'train-test-tiny',
    imageEncoder: { imgSize: 64, embedDim: 32, depth: 2, numHeads: 2, windowSize: 2, globalAttnIndexes: [1], outChans: 32 },
    promptEncoder: { maskInChans: 8 },
    maskDecoder: { transformerDim: 32, numHeads: 2, mlpDim: 64, iouHeadHiddenDim: 32 },
  });
}

export interface SyntheticCorpus {
  dir: string;
  coco: string;
  cleanup: () => void;
}

/**
 * `count` images of width × height (grey noise) with one or two bright ellipses each; every
 * third image's second ellipse is stored as a polygon, the others as RLE.
 */
export async function writeSyntheticCoco(count: number, width: number, height: number, seed = 1): Promise<SyntheticCorpus> {
  const { dir, cleanup } = tempDir('train');
  mkdirSync(join(dir, 'images'));
  const rng = new Rng(seed);
  const images: unknown[] = [];
  const annotations: unknown[] = [];
  for (let id = 1; id <= count; id++) {
    const pixels = new Uint8Array(width * height);
    for (let i = 0; i < pixels.length; i++) pixels[i] = Math.max(0, Math.min(255, Math.round(60 + 25 * rng.normal())));
    const objects = rng.next() < 0.5 ? 1 : 2;
    for (let k = 0; k < objects; k++) {
      const rx = rng.uniform(width / 10, width / 4);
      const ry = rng.uniform(height / 10, height / 4);
      const cx = rng.uniform(rx + 1, width - rx - 1);
      const cy = rng.uniform(ry + 1, height - ry - 1);
      const mask = new Uint8Array(width * height);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          if (((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 <= 1) {
            mask[y * width + x] = 1;
            pixels[y * width + x] = Math.min(255, pixels[y * width + x] + 120);
          }
        }
      }
      const polygon = k === 1 && id % 3 === 0;
      const segmentation = polygon ? [Array.from({ length: 16 }, (_, j) => [cx + rx * Math.cos((j * Math.PI) / 8), cy + ry * Math.sin((j * Math.PI) / 8)]).flat()] : encodeMask(mask, height, width);
      annotations.push({ id: annotations.length + 1, image_id: id, category_id: 1, segmentation, area: 0, bbox: [0, 0, 0, 0], iscrowd: 0 });
    }
    const file = `images/im${id}.png`;
    writeFileSync(join(dir, file), await encodePng({ data: pixels, width, height, channels: 1 }));
    images.push({ id, file_name: file, width, height });
  }
  const coco = join(dir, 'synthetic.coco.json');
  writeFileSync(coco, JSON.stringify({ info: {}, images, annotations, categories: [{ id: 1, name: 'object', supercategory: 'object' }] }));
  return { dir, coco, cleanup: cleanup };
}
