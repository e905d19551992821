/**
 * Datasets of paired files, one image and one mask image per sample, described instead of coded:
 * where the images are, how an image's mask is found, how mask pixels read, what an empty mask
 * means and what the file name says. `pairedConverter` converts such a dataset and
 * `describePairedFiles` writes its `layout` text from the same description, so the two agree.
 */
import { join } from 'node:path';
import { hasForeground, nonZeroMask, thresholdMask } from '../../masks.js';
import type { ConvertOptions, ConvertedSample } from '../../types.js';
import { listFiles, requireDirectory, stemOf } from './files.js';
import { readMaskFile } from './mask_files.js';
import { readRawImage, reportProblem } from './problems.js';

export interface PairedFiles {
  /** Folders that may hold the dataset, relative to the raw dir, tried in order ('' is the raw dir itself). */
  roots: string[];
  /** The image folder, relative to the root. */
  images: string;
  /** Image extensions, lower case with the dot (compared case-insensitively); the first is named in the layout. */
  extensions: string[];
  /** Files of the image folder that are not images (masks kept beside them), by stem. */
  notImages?: RegExp;
  /** The mask folder, relative to the root. */
  masks: string;
  /** The mask's file name, `<stem>` standing for the image's name without extension and `<ext>` for its extension. */
  maskName: string;
  /** 'threshold': grey > 127 (0/255 masks, JPEG ringing left out); 'nonzero': any non-zero pixel. */
  pixels: 'threshold' | 'nonzero';
  category: string;
  /** An image whose mask is empty: skipped (as the reference does), or kept without annotations. */
  emptyMask: 'skip' | 'keep';
  /**
   * What the image name says: a pattern over the stem with the named groups `index` and, where
   * the dataset has one, `patient`; `text` writes the name for the layout ('<acquisition>_slice_<n>')
   * and `patient` says what the patient is. A stem that does not match keeps itself as index, or
   * with `required` is reported and skipped.
   */
  name?: { pattern: RegExp; text: string; patient?: string; required?: boolean };
  /** A sentence the layout text ends with (what the description cannot say). */
  note?: string;
}

/** The converter of a paired-files dataset. */
export function pairedConverter(d: PairedFiles): (rawDir: string, options: ConvertOptions) => AsyncGenerator<ConvertedSample> {
  return async function* convert(rawDir, options) {
    const candidates = d.roots.map((root) => (root === '' ? d.images : `${root}/${d.images}`));
    const imageDir = await requireDirectory(rawDir, candidates, folder(d.images));
    const prefix = imageDir.slice(0, imageDir.length - d.images.length);
    for (const name of await listFiles(join(rawDir, imageDir), { extensions: d.extensions, recursive: false })) {
      const stem = stemOf(name);
      if (d.notImages?.test(stem)) continue;
      const imageFile = `${imageDir}/${name}`;
      const groups = d.name?.pattern.exec(stem)?.groups;
      if (!groups && d.name?.required) {
        reportProblem(options, imageFile, `name is not ${d.name.text}${d.extensions[0]}`);
        continue;
      }
      const image = await readRawImage(rawDir, imageFile, options);
      if (!image) continue;
      const maskFile = `${prefix}${d.masks}/${d.maskName.replaceAll('<stem>', stem).replaceAll('<ext>', name.slice(stem.length))}`;
      const maskImage = await readMaskFile(rawDir, maskFile, imageFile, image, options);
      if (!maskImage) continue;
      const mask = d.pixels === 'threshold' ? thresholdMask(maskImage) : nonZeroMask(maskImage);
      const empty = !hasForeground(mask);
      if (empty && d.emptyMask === 'skip') continue;
      yield {
        image,
        ...(groups?.patient !== undefined ? { patient: groups.patient } : {}),
        index: groups?.index ?? stem,
        sourceFile: imageFile,
        masks: empty ? [] : [{ category: d.category, mask }],
      };
    }
  };
}

/** A folder name as the layout texts write it: quoted when it holds a space. */
function folder(name: string): string {
  return name.includes(' ') ? `'${name}'` : name;
}

/** The `layout` text of a paired-files dataset, from its description. */
export function describePairedFiles(d: PairedFiles): string {
  const stem = d.name?.text ?? '<n>';
  const ext = d.extensions[0];
  const maskName = d.maskName.replaceAll('<stem>', stem).replaceAll('<ext>', ext);
  const pixels = d.pixels === 'threshold' ? 'grey > 127' : `non-zero = ${d.category.replaceAll('_', ' ')}`;
  const sentences = [`${folder(d.images)}/${stem}${ext} with masks ${folder(d.masks)}/${maskName} (${pixels})`];
  const enclosing = d.roots.filter((root) => root !== '');
  if (enclosing.length > 0) {
    const levels = enclosing.map((root) => root.split('/').map(folder).join('/') + '/').join(' or ');
    sentences.push(d.roots.includes('') ? `optionally under ${levels}` : `under ${levels}`);
  }
  let text = sentences.join(', ') + '.';
  if (d.name?.patient) text += ` The ${d.name.patient} is the patient.`;
  text += d.emptyMask === 'skip' ? ' Images with an empty mask are skipped.' : ' Images with an empty mask are kept without annotations.';
  if (d.extensions.length > 1) text += ` Images: ${d.extensions.join(', ')}.`;
  if (d.note) text += ` ${d.note}`;
  return text;
}
