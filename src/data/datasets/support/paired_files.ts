/**
 * Datasets of paired files, one image and one mask image per sample, described instead of coded:
 * where the images are, how an image's mask is found, how mask pixels read, what an empty mask
 * means and what the file name says. `pairedConverter` converts such a dataset and
 * `describePairedFiles` writes its `layout` text from the same description, so the two agree.
 */
import { join } from 'node:path';
import { type CategoryMask, type ColourClass, type ValueRangeClass, colourMasks, hasForeground, nonZeroMask, resizeMaskArea, resizeMaskNearest, thresholdMask, valueRangeMasks } from '../../masks.js';
import type { RawImage } from '../../../image/types.js';
import type { ConvertOptions, ConvertedSample } from '../../types.js';
import { extensionOf, isDirectory, listFiles } from './files.js';
import { readMaskFile } from './mask_files.js';
import { readRawImage, reportProblem } from './problems.js';

/** One image folder and its mask folder, with what its place in the dataset says about its images. */
export interface PairedFolder {
  /** The image folder, relative to the root ('' is the root itself). */
  images: string;
  /** The mask folder, relative to the root ('' is the root itself). */
  masks: string;
  /** Put before each image's index ('test_'), so that indices stay unique across folders. */
  indexPrefix?: string;
  /** The category of this folder's masks (a class folder); the description's `category` otherwise. */
  category?: string;
  /** Image labels every image of this folder gets ({ class: 'benign' }). */
  labels?: Record<string, string>;
  officialSplit?: 'test';
}

/**
 * How mask pixels read: 'threshold', grey > 127 (0/255 masks, JPEG ringing left out);
 * 'nonzero', any non-zero pixel; `ranges`, one category per grey-value range (label masks);
 * `colours`, one category per colour (colour-coded masks).
 */
export type MaskPixels = 'threshold' | 'nonzero' | { ranges: ValueRangeClass[] } | { colours: ColourClass[] };

export interface PairedFiles {
  /** Folders that may hold the dataset, relative to the raw dir, tried in order ('' is the raw dir itself). */
  roots: string[];
  /**
   * The image and mask folders, read in this order. Each is looked for under each root in turn;
   * a folder found under none is left out, and it is an error when none is found.
   */
  folders: PairedFolder[];
  /** Image extensions, lower case with the dot (compared case-insensitively); the first is named in the layout. */
  extensions: string[];
  /** Read the image folders' sub-folders too; the stem is then the path below the image folder. */
  recursive?: boolean;
  /** Files of the image folder that are not images (masks kept beside them), by stem. */
  notImages?: RegExp;
  /**
   * The mask's file name, relative to the mask folder: `<stem>` stands for the image's name
   * without extension, `<ext>` for its extension and `<group>` for a named group of `name.pattern`.
   */
  maskName: string;
  pixels: MaskPixels;
  /** The category of 'threshold' and 'nonzero' masks (unless a folder gives its own). */
  category?: string;
  /** A mask of another size than its image is resized to it (as the reference does) instead of reported. */
  resize?: 'nearest' | 'area';
  /**
   * An image whose mask is empty (as read, before any resizing): skipped (as the reference
   * does), or kept without annotations.
   */
  emptyMask: 'skip' | 'keep';
  /**
   * What the image name says: a pattern over the stem with the named groups `index` and, where
   * the dataset has one, `patient`; `text` writes the name for the layout ('<acquisition>_slice_<n>')
   * and `patient` says what the patient is. A stem that does not match keeps itself as index
   * ('stem', the default), is reported and skipped ('report'), or is not an image of the dataset ('ignore').
   */
  name?: { pattern: RegExp; text: string; patient?: string; unmatched?: 'stem' | 'report' | 'ignore' };
  /** The image label `class` from the categories of the masks found, joined by '+' when several. */
  classOfCategory?: Record<string, string>;
  /**
   * Image labels from a table in the root, when it is there: `read` gives them by image stem,
   * `text` says what the table holds.
   */
  labelTable?: { file: string; text: string; read(path: string): Promise<Map<string, Record<string, string>>> };
  /** No image in the folders found is an error (where a root is the raw dir itself, so finding the folder proves nothing). */
  requireImages?: boolean;
  /** A sentence the layout text ends with (what the description cannot say). */
  note?: string;
}

/** Relative paths joined with '/', empty parts left out. */
function joinPath(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('/');
}

/** Every category a paired-files dataset can yield, in the order of the description. */
export function pairedCategories(d: PairedFiles): string[] {
  if (typeof d.pixels === 'object') {
    return 'ranges' in d.pixels ? d.pixels.ranges.map((c) => c.category) : d.pixels.colours.map((c) => c.category);
  }
  const categories = d.folders.map((f) => f.category ?? d.category);
  if (categories.some((c) => c === undefined)) throw new Error(`paired files under ${d.folders[0]?.images}: '${d.pixels}' masks need a category`);
  return [...new Set(categories as string[])];
}

/** The category masks of a mask image as the description reads it. */
function readMasks(maskImage: RawImage, pixels: MaskPixels, category: string): CategoryMask[] {
  if (pixels === 'threshold') return [{ category, mask: thresholdMask(maskImage) }];
  if (pixels === 'nonzero') return [{ category, mask: nonZeroMask(maskImage) }];
  return 'ranges' in pixels ? valueRangeMasks(maskImage, pixels.ranges) : colourMasks(maskImage, pixels.colours);
}

/** The converter of a paired-files dataset. */
export function pairedConverter(d: PairedFiles): (rawDir: string, options: ConvertOptions) => AsyncGenerator<ConvertedSample> {
  pairedCategories(d); // a description without a category fails here, not at the first image
  return async function* convert(rawDir, options) {
    const found: { folder: PairedFolder; root: string }[] = [];
    for (const folder of d.folders) {
      for (const root of d.roots) {
        if (await isDirectory(join(rawDir, root, folder.images))) {
          found.push({ folder, root });
          break;
        }
      }
    }
    if (found.length === 0) {
      const candidates = d.folders.flatMap((f) => d.roots.map((root) => joinPath(root, f.images)));
      const what = d.folders.length === 1 && d.folders[0].images !== '' ? quoted(d.folders[0].images) : 'image';
      throw new Error(`${rawDir}: no ${what} folder found (looked for ${candidates.map((c) => `'${c === '' ? '.' : c}'`).join(', ')})`);
    }
    let images = 0;
    for (const { folder, root } of found) {
      const imageDir = joinPath(root, folder.images);
      const table = d.labelTable ? await d.labelTable.read(join(rawDir, root, d.labelTable.file)) : undefined;
      for (const name of await listFiles(join(rawDir, imageDir), { extensions: d.extensions, recursive: d.recursive ?? false })) {
        const stem = name.slice(0, name.length - extensionOf(name).length);
        if (d.notImages?.test(stem)) continue;
        const imageFile = joinPath(imageDir, name);
        const match = d.name?.pattern.exec(stem);
        if (d.name && !match) {
          if (d.name.unmatched === 'ignore') continue;
          if (d.name.unmatched === 'report') {
            reportProblem(options, imageFile, `name is not ${d.name.text}${d.extensions[0]}`);
            continue;
          }
        }
        const groups = match?.groups ?? {};
        images++;
        const image = await readRawImage(rawDir, imageFile, options);
        if (!image) continue;
        const fill = (placeholder: string, key: string) => (key === 'stem' ? stem : key === 'ext' ? name.slice(stem.length) : (groups[key] ?? placeholder));
        const maskFile = joinPath(root, folder.masks, d.maskName.replace(/<(\w+)>/g, fill));
        const maskImage = await readMaskFile(rawDir, maskFile, imageFile, image, options, { allowOtherSize: d.resize !== undefined });
        if (!maskImage) continue;
        let masks = readMasks(maskImage, d.pixels, (folder.category ?? d.category)!);
        if (d.emptyMask === 'skip' && !masks.some(({ mask }) => hasForeground(mask))) continue;
        if (maskImage.width !== image.width || maskImage.height !== image.height) {
          const resize = d.resize === 'area' ? resizeMaskArea : resizeMaskNearest;
          masks = masks.map(({ category, mask }) => ({ category, mask: resize(mask, maskImage.width, maskImage.height, image.width, image.height) }));
        }
        masks = masks.filter(({ mask }) => hasForeground(mask));
        const labels: Record<string, string> = { ...folder.labels };
        if (d.classOfCategory && masks.length > 0) labels.class = masks.map((m) => d.classOfCategory![m.category]).join('+');
        Object.assign(labels, table?.get(stem));
        yield {
          image,
          ...(groups.patient !== undefined ? { patient: groups.patient } : {}),
          index: `${folder.indexPrefix ?? ''}${groups.index ?? stem}`,
          sourceFile: imageFile,
          masks,
          ...(Object.keys(labels).length > 0 ? { labels } : {}),
          ...(folder.officialSplit ? { officialSplit: folder.officialSplit } : {}),
        };
      }
    }
    if (d.requireImages && images === 0) {
      const text = `${d.name?.text ?? '<n>'}${d.extensions[0]}`;
      throw new Error(`${rawDir}: no images ${text} found in ${found.map(({ folder, root }) => `'${joinPath(root, folder.images) || '.'}'`).join(', ')}`);
    }
  };
}

/** A folder name as the layout texts write it: quoted when it holds a space. */
function quoted(name: string): string {
  return name.includes(' ') ? `'${name}'` : name;
}

/** A path of the layout text: quoted folders, then the file name. */
function layoutPath(folder: string, file: string): string {
  return folder === '' ? file : `${folder.split('/').map(quoted).join('/')}/${file}`;
}

/** How mask pixels read, in words. */
function describePixels(d: PairedFiles): string {
  if (d.pixels === 'threshold') return 'grey > 127';
  if (d.pixels === 'nonzero') return `non-zero = ${pairedCategories(d).map(words).join(' or ')}`;
  if ('ranges' in d.pixels) return `grey ${d.pixels.ranges.map((c) => `${c.min === c.max ? c.min : `${c.min}–${c.max}`} = ${words(c.category)}`).join(', ')}`;
  return `RGB ${d.pixels.colours.map((c) => `(${c.rgb.join(',')}) = ${words(c.category)}`).join(', ')}, black background`;
}

const words = (category: string) => category.replaceAll('_', ' ');

/** What a folder's place says about its images, in words ('' when nothing). */
function describeFolder(f: PairedFolder, d: PairedFiles): string {
  const parts = Object.entries(f.labels ?? {}).map(([key, value]) => `${key} ${value}`);
  if (f.category && typeof d.pixels === 'string' && d.folders.some((other) => other.category !== f.category)) parts.push(`category ${f.category}`);
  if (f.officialSplit) parts.push(`official ${f.officialSplit}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** The `layout` text of a paired-files dataset, from its description. */
export function describePairedFiles(d: PairedFiles): string {
  const stem = d.name?.text ?? '<n>';
  const ext = d.extensions[0];
  const maskName = d.maskName.replaceAll('<stem>', stem).replaceAll('<ext>', ext);
  const pairs = d.folders.map((f) => `${layoutPath(f.images, stem + ext)} with masks ${layoutPath(f.masks, maskName)}${describeFolder(f, d)}`);
  const sentences = [d.folders.length === 1 && !pairs[0].endsWith(')') ? `${pairs[0]} (${describePixels(d)})` : `${pairs.join('; ')}; masks ${describePixels(d)}`];
  const enclosing = d.roots.filter((root) => root !== '');
  if (enclosing.length > 0) {
    const levels = enclosing.map((root) => layoutPath(root, '')).join(' or ');
    sentences.push(d.roots.includes('') ? `optionally under ${levels}` : `under ${levels}`);
  }
  let text = sentences.join(', ') + '.';
  if (d.recursive) text += ' Sub-folders of the image folders are read too.';
  if (d.name?.unmatched === 'ignore') text += ` Other files than ${stem}${ext} are ignored.`;
  if (d.name?.patient) text += ` The ${d.name.patient} is the patient.`;
  if (d.resize) text += ` A mask of another size is resized to its image (${d.resize === 'area' ? 'by area' : 'nearest neighbour'}).`;
  text += d.emptyMask === 'skip' ? ' Images with an empty mask are skipped.' : ' Images with an empty mask are kept without annotations.';
  if (d.classOfCategory) {
    text += ` Label class: ${Object.entries(d.classOfCategory)
      .map(([category, name]) => `${name} for ${words(category)}`)
      .join(', ')} (joined by + when several).`;
  }
  if (d.labelTable) text += ` Optionally ${layoutPath(d.folders[0].images, '')} has ${d.labelTable.file} beside it: ${d.labelTable.text}.`;
  if (d.extensions.length > 1) text += ` Images: ${d.extensions.join(', ')}.`;
  if (d.note) text += ` ${d.note}`;
  return text;
}
