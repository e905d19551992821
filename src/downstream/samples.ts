// Classification data from three layouts: a folder per class, a CSV of path,label[,patient], or a
// COCO file's image-level labels (as the corpus tools write them: `labels.tirads`, ...).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { readCoco } from '../data/coco.js';
import { type ClassMap, identityClassMap, parseClassMap } from './classes.js';

export interface LabelledImage {
  path: string;
  /** Class name (after the mapping). */
  label: string;
  /** Patient or case id when the source knows it (for patient-level splits). */
  patient?: string;
}

export interface ClassificationData {
  samples: LabelledImage[];
  classes: string[];
  /** Where the samples came from, in words. */
  source: string;
}

export interface LoadOptions {
  /** COCO only: the image label to classify (`tirads`, `class`, ...). */
  labelField?: string;
  /** `name=v1,v2;name2=v3`: groups raw label values into classes. */
  classes?: string;
  /** Leave out images whose label is missing or not in the mapping, instead of stopping. */
  dropUnmapped?: boolean;
}

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.dcm', '.webp']);

interface RawRow {
  path: string;
  raw: string | undefined;
  patient?: string;
  /** Where the row is, for messages (`labels.csv line 4`). */
  where: string;
}

/** Reads a folder per class, a .csv or a COCO .json, and applies the class mapping. */
export async function loadClassificationData(source: string, options: LoadOptions = {}): Promise<ClassificationData> {
  const path = resolve(source);
  if (!existsSync(path)) throw new Error(`classification data not found: ${path}`);
  let rows: RawRow[];
  if (statSync(path).isDirectory()) rows = folderRows(path);
  else if (path.toLowerCase().endsWith('.csv')) rows = csvRows(path);
  else if (path.toLowerCase().endsWith('.json')) rows = await cocoRows(path, options.labelField);
  else throw new Error(`${path}: expected a folder per class, a .csv of path,label, or a COCO .json`);
  if (options.labelField && !path.toLowerCase().endsWith('.json')) {
    throw new Error(`--label-field applies to COCO files only; ${path} is not one`);
  }
  const map: ClassMap = options.classes ? parseClassMap(options.classes) : identityClassMap(rows.map((r) => r.raw).filter((r): r is string => r !== undefined));
  const samples: LabelledImage[] = [];
  const unmapped = new Map<string, RawRow[]>();
  for (const row of rows) {
    const label = row.raw === undefined ? undefined : map.classOf(row.raw);
    if (label === undefined) {
      const key = row.raw ?? '(no label)';
      unmapped.set(key, [...(unmapped.get(key) ?? []), row]);
      continue;
    }
    if (!existsSync(row.path)) throw new Error(`${row.where}: image file not found: ${row.path}`);
    samples.push({ path: row.path, label, ...(row.patient ? { patient: row.patient } : {}) });
  }
  if (unmapped.size > 0 && !options.dropUnmapped) {
    const lines = [...unmapped].map(([raw, rs]) => `'${raw}' (${rs.length} image(s), first at ${rs[0].where})`);
    throw new Error(
      `labels not in the classes ${map.classes.map((c) => `'${c}'`).join(', ')}: ${lines.join('; ')}. ` + 'Fix the labels, extend --classes, or pass --drop-unmapped to leave these images out',
    );
  }
  for (const c of map.classes) {
    if (!samples.some((s) => s.label === c)) throw new Error(`class '${c}' has no images in ${path}`);
  }
  return { samples, classes: map.classes, source: path };
}

function folderRows(root: string): RawRow[] {
  const rows: RawRow[] = [];
  const folders = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.'));
  if (folders.length < 2) throw new Error(`${root}: a folder per class is needed (found ${folders.length} class folder(s))`);
  for (const folder of folders.sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = join(root, folder.name);
    const images = readdirSync(dir)
      .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
      .sort();
    if (images.length === 0) throw new Error(`class '${folder.name}' has no images: ${dir} holds no ${[...IMAGE_EXTENSIONS].join('/')} file`);
    for (const f of images) rows.push({ path: join(dir, f), raw: folder.name, where: join(dir, f) });
  }
  return rows;
}

/** `path,label[,patient]`, an optional header row; paths relative to the CSV's folder. */
function csvRows(file: string): RawRow[] {
  const base = dirname(file);
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const rows: RawRow[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const cells = line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    if (i === 0 && cells[1]?.toLowerCase() === 'label') return; // header
    const where = `${file} line ${i + 1}`;
    if (!cells[0]) throw new Error(`${where}: no image path`);
    rows.push({ path: resolve(base, cells[0]), raw: cells[1] ? cells[1] : undefined, where, ...(cells[2] ? { patient: cells[2] } : {}) });
  });
  if (rows.length === 0) throw new Error(`${file}: no rows of path,label`);
  return rows;
}

/** A label value as text; the corpus writes 'None' for a field the source left empty. */
function labelText(value: string | number | undefined): string | undefined {
  if (value === undefined || value === null || value === '' || value === 'None') return undefined;
  return String(value);
}

async function cocoRows(file: string, field: string | undefined): Promise<RawRow[]> {
  const coco = await readCoco(file);
  if (!field) throw new Error(`${file}: a COCO file needs --label-field (the image label to classify, e.g. tirads)`);
  const base = dirname(file);
  if (!coco.images.some((im) => im.labels && field in im.labels)) {
    const seen = new Set(coco.images.flatMap((im) => Object.keys(im.labels ?? {})));
    throw new Error(`${file}: no image has the label '${field}' (labels present: ${[...seen].join(', ') || 'none'})`);
  }
  return coco.images.map((im) => ({
    path: resolve(base, im.file_name),
    raw: labelText(im.labels?.[field]),
    where: `${file} image ${im.id} (${im.file_name})`,
    ...(im.patient ? { patient: im.patient } : {}),
  }));
}
