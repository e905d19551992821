/**
 * FASS, Fetal Abdominal Structures Segmentation (Da Correggio et al., Data in Brief 2024):
 * artery, liver, stomach and vein in fetal abdominal ultrasound.
 * Raw layout (the Mendeley Data archive, unpacked): images `IMAGES/<id>.png` and, per image, a
 * NumPy file `ARRAY_FORMAT/<id>.npy` holding a pickled dict
 * `{'structures': {'artery': H×W, 'liver': H×W, 'stomach': H×W, 'vein': H×W}, ...}` of 0/1 masks
 * (Python: `np.load(f, allow_pickle=True).item()['structures']`). Files are paired by name stem,
 * in any folders, as the reference converter does; an image with no array is reported.
 */
import { join } from 'node:path';
import { dictEntry, isNpyArray, npyValues, readNpyDict } from '../formats/npy_dict.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { listFiles, stemOf } from './support/files.js';
import { readRawImage, reportProblem } from './support/problems.js';

const STRUCTURES = ['artery', 'liver', 'stomach', 'vein'];

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  const files = await listFiles(rawDir, { extensions: ['.png', '.npy'] });
  const arrays = new Map<string, string>();
  const images: string[] = [];
  for (const file of files) {
    if (file.endsWith('.npy') || /ARRAY_FORMAT/i.test(file)) {
      if (file.endsWith('.npy')) arrays.set(stemOf(file), file);
    } else {
      images.push(file);
    }
  }
  if (arrays.size === 0) throw new Error(`FASS: no ARRAY_FORMAT/<id>.npy masks under ${rawDir}`);
  for (const source of images) {
    const stem = stemOf(source);
    const arrayFile = arrays.get(stem);
    if (!arrayFile) {
      reportProblem(options, source, `missing mask: no ${stem}.npy in ARRAY_FORMAT/`);
      continue;
    }
    let structures: Map<string, unknown>;
    try {
      structures = dictEntry(readNpyDict(join(rawDir, arrayFile)), 'structures', arrayFile);
    } catch (error) {
      reportProblem(options, arrayFile, `unreadable mask dict: ${(error as Error).message}`);
      continue;
    }
    const image = await readRawImage(rawDir, source, options);
    if (!image) continue;
    const masks: ConvertedSample['masks'] = [];
    let problem: string | undefined;
    for (const [name, value] of structures) {
      if (!STRUCTURES.includes(name)) {
        problem = `unknown structure "${name}" (expected ${STRUCTURES.join(', ')})`;
        break;
      }
      if (!isNpyArray(value) || value.shape.length !== 2) {
        problem = `structure "${name}" is not an H×W array`;
        break;
      }
      const [height, width] = value.shape;
      if (width !== image.width || height !== image.height) {
        problem = `size mismatch: structure "${name}" is ${width}×${height}, image ${source} is ${image.width}×${image.height}`;
        break;
      }
      const values = npyValues(value);
      const mask = new Uint8Array(values.length);
      for (let i = 0; i < values.length; i++) if (values[i] !== 0) mask[i] = 1;
      masks.push({ category: name, mask });
    }
    if (problem) {
      reportProblem(options, arrayFile, problem);
      continue;
    }
    yield { image, index: stem, sourceFile: source, masks };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'FASS',
    aliases: ['fass', 'Fetal Abdominal Structures Segmentation Dataset Using Ultrasonic Images'],
    anatomy: 'fetal abdomen',
    structures: STRUCTURES,
    modality: 'B-mode obstetric ultrasound, 2D images',
    url: 'https://data.mendeley.com/datasets/4gcpm9dsc3/1',
    licence: "not verified: see the publisher's page (url)",
    citation: 'Da Correggio KS, et al. Fetal Abdominal Structures Segmentation Dataset Using Ultrasonic Images. Mendeley Data V1 (2023), doi:10.17632/4gcpm9dsc3.1.',
    layout: 'IMAGES/<id>.png + ARRAY_FORMAT/<id>.npy (pickled dict, key "structures": {artery, liver, stomach, vein} → H×W 0/1 masks); paired by stem.',
    imageLabels: [],
  },
  convert,
};
