/**
 * Fast-U-Net (Ashkani Chenarlogh et al., Sensors 2022): fetal abdomen (AC) and fetal head (HC)
 * regions for circumference measurement.
 * Raw layout (the GitHub repository's `Dataset/`, RAR archives as published):
 * `Dataset/AC/AC_image1.rar`, `AC_image2.rar`, `AC_mask.rar` and `Dataset/HC/HC_image1.rar` …
 * `HC_image3.rar`, `HC_mask.rar`, holding PNG images and 0/255 PNG masks (paths containing `mask`).
 * AC images pair with masks by file stem, HC ones by the first two `_`-separated parts of it (the
 * reference's rules). The archives are extracted to a temporary folder with a system RAR tool.
 *
 * As in the reference, each mask is cleaned by an opening with a 12×12 square that keeps only the
 * largest region (erode, largest component, dilate); empty masks are skipped.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threshold, toGray } from '../components.js';
import { dilateSquare, erodeSquare, largestComponent } from '../formats/mask_morphology.js';
import { extractRar, requireRarExtractor } from '../formats/rar.js';
import { MissingToolError } from '../formats/system_tool.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isFile, listFiles, requireDirectory, stemOf } from './support/files.js';
import { checkMaskSize, readRawImage, reportProblem } from './support/problems.js';

const OPENING_SIZE = 12;

interface Part {
  name: 'AC' | 'HC';
  category: string;
  archives: string[];
  /** Pairing key of an image or mask file name stem. */
  key(stem: string): string;
}

const PARTS: Part[] = [
  { name: 'AC', category: 'abdomen', archives: ['AC_image1.rar', 'AC_image2.rar', 'AC_mask.rar'], key: (stem) => stem },
  {
    name: 'HC',
    category: 'fetal_head',
    archives: ['HC_image1.rar', 'HC_image2.rar', 'HC_image3.rar', 'HC_mask.rar'],
    key: (stem) => stem.split('_').slice(0, 2).join('_'),
  },
];

/** The opened, largest-region mask; undefined when nothing is left. */
export function cleanMask(mask: Uint8Array, width: number, height: number): Uint8Array | undefined {
  let cleaned = erodeSquare(mask, width, height, OPENING_SIZE);
  cleaned = largestComponent(cleaned, width, height);
  cleaned = dilateSquare(cleaned, width, height, OPENING_SIZE);
  return cleaned.some((v) => v !== 0) ? cleaned : undefined;
}

async function* convertPart(rawDir: string, datasetDir: string, part: Part, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const temp = await mkdtemp(join(tmpdir(), `ultrasam-fast-u-net-${part.name}-`));
  try {
    for (const archive of part.archives) {
      const relative = `${datasetDir}/${part.name}/${archive}`.replace(/^\//, '');
      if (!(await isFile(join(rawDir, relative)))) {
        reportProblem(options, relative, 'missing archive');
        continue;
      }
      try {
        // One folder per archive, so that a damaged archive is seen to extract nothing.
        await extractRar(join(rawDir, relative), join(temp, stemOf(archive)), 'Fast-U-Net');
      } catch (error) {
        if (error instanceof MissingToolError || options.strict) throw error;
        reportProblem(options, relative, (error as Error).message);
      }
    }
    const files = await listFiles(temp, { extensions: ['.png'] });
    const masks = new Map<string, string>();
    const images: string[] = [];
    for (const file of files) {
      if (/mask/i.test(file)) masks.set(part.key(stemOf(file)), file);
      else images.push(file);
    }
    for (const file of images) {
      // Named inside its archive: Dataset/AC/AC_image1.rar:<path in the archive>.
      const [archiveStem, ...inner] = file.split('/');
      const source = `${datasetDir}/${part.name}/${archiveStem}.rar:${inner.join('/')}`.replace(/^\//, '');
      const maskFile = masks.get(part.key(stemOf(file)));
      if (!maskFile) {
        reportProblem(options, source, `missing mask: no mask for "${part.key(stemOf(file))}" in ${part.name}_mask.rar`);
        continue;
      }
      const image = await readRawImage(temp, file, options);
      if (!image) continue;
      const maskImage = await readRawImage(temp, maskFile, options, 'mask');
      if (!maskImage || !checkMaskSize(options, `${datasetDir}/${part.name}/${maskFile.replace('/', '.rar:')}`.replace(/^\//, ''), maskImage, source, image)) continue;
      const mask = cleanMask(threshold(toGray(maskImage), 127), image.width, image.height);
      if (!mask) continue;
      yield { image, index: `${part.name}_${stemOf(file)}`, sourceFile: source, masks: [{ category: part.category, mask }], labels: { measurement: part.name } };
    }
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  const datasetDir = await requireDirectory(rawDir, ['Dataset', ''], 'Dataset (with AC/ and HC/)');
  // Fails with the install hint before anything is read when no RAR tool is installed.
  await requireRarExtractor('Fast-U-Net');
  for (const part of PARTS) yield* convertPart(rawDir, datasetDir, part, options);
}

export const dataset: DatasetModule = {
  info: {
    name: 'Fast-U-Net',
    aliases: ['fast_u_net', 'Fast_U_Net', 'fast-u-net'],
    anatomy: 'fetal abdomen and fetal head',
    structures: ['abdomen', 'fetal_head'],
    modality: 'B-mode obstetric ultrasound, 2D images',
    url: 'https://github.com/vahidashkani/Fast-U-Net',
    licence: "not verified: see the publisher's page (url)",
    citation: 'Ashkani Chenarlogh V, Ghelich Oghli M, Shabanzadeh A, et al. Fast and Accurate U-Net Model for Fetal Ultrasound Image Segmentation. Ultrason Imaging 44(1):25-38 (2022).',
    layout:
      'Dataset/AC/{AC_image1,AC_image2,AC_mask}.rar + Dataset/HC/{HC_image1,HC_image2,HC_image3,HC_mask}.rar (PNG images, 0/255 PNG masks; needs unrar, unar, 7z or bsdtar); masks opened by a 12×12 square, largest region kept.',
    imageLabels: ['measurement'],
  },
  convert,
};
