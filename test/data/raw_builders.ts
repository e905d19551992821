/** Small synthetic raw folders in the layouts of the datasets this room converts (for tests). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

/** A W×H grey image (gradient) or a 0/255 mask with a filled rectangle, written as PNG or JPEG. */
export async function writeTestImage(path: string, width: number, height: number, options: { rect?: [number, number, number, number]; rgb?: boolean; jpeg?: boolean } = {}): Promise<void> {
  const channels = options.rgb ? 3 : 1;
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let value = options.rect ? 0 : (x * 5 + y * 3) % 200;
      if (options.rect) {
        const [rx, ry, rw, rh] = options.rect;
        if (x >= rx && x < rx + rw && y >= ry && y < ry + rh) value = 255;
      }
      data.fill(value, (y * width + x) * channels, (y * width + x + 1) * channels);
    }
  }
  await mkdir(join(path, '..'), { recursive: true });
  const image = sharp(data, { raw: { width, height, channels } });
  await (options.jpeg ? image.jpeg({ quality: 90 }) : image.png()).toFile(path);
}

/** BUSI: benign (2 images, one with two mask files), malignant (1), normal (1, empty mask). */
export async function writeBusi(root: string): Promise<void> {
  const base = join(root, 'Dataset_BUSI_with_GT');
  await writeTestImage(join(base, 'benign', 'benign (1).png'), 40, 30, { rgb: true });
  await writeTestImage(join(base, 'benign', 'benign (1)_mask.png'), 40, 30, { rect: [2, 2, 6, 5], rgb: true });
  await writeTestImage(join(base, 'benign', 'benign (2).png'), 40, 30, { rgb: true });
  await writeTestImage(join(base, 'benign', 'benign (2)_mask.png'), 40, 30, { rect: [2, 2, 6, 5] });
  await writeTestImage(join(base, 'benign', 'benign (2)_mask_1.png'), 40, 30, { rect: [20, 10, 8, 8] });
  await writeTestImage(join(base, 'malignant', 'malignant (1).png'), 40, 30, { rgb: true });
  await writeTestImage(join(base, 'malignant', 'malignant (1)_mask.png'), 40, 30, { rect: [10, 10, 10, 10] });
  await writeTestImage(join(base, 'normal', 'normal (1).png'), 40, 30, { rgb: true });
  await writeTestImage(join(base, 'normal', 'normal (1)_mask.png'), 40, 30, { rect: [0, 0, 0, 0] });
}

/** DDTI: `DDTI/<case>_<n>.a.jpg` + `.b.jpg` masks for cases 1 (two images) and 2, and label.txt. */
export async function writeDdti(root: string): Promise<void> {
  const base = join(root, 'DDTI');
  for (const [id, rect] of [
    ['1_1', [4, 4, 10, 8]],
    ['1_2', [20, 6, 8, 8]],
    ['2_1', [10, 10, 12, 6]],
  ] as const) {
    await writeTestImage(join(base, `${id}.a.jpg`), 48, 32, { rgb: true, jpeg: true });
    await writeTestImage(join(base, `${id}.b.jpg`), 48, 32, { rect: [...rect], jpeg: true });
  }
  await writeFile(join(base, 'label.txt'), '1_1,bening,solid,hypoechogenicity,well-defined,non,4a,F,58\n2_1,maling,,,,,5,M,\n');
}
