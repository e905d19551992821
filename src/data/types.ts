import type { RawImage } from '../image/types.js';

/** What the registry knows about one public ultrasound dataset. */
export interface DatasetInfo {
  /** Name in the corpus, e.g. 'DDTI'. Also the folder name that `data build` looks for under a raw root. */
  name: string;
  /** Other folder names under which `data build` recognises this dataset's raw copy. */
  aliases?: string[];
  anatomy: string;
  /** Category names as they appear in the corpus. */
  structures: string[];
  modality: string;
  /** Where it is published (paper, challenge or repository address). */
  url: string;
  /** Licence exactly as published, or 'not stated'. */
  licence: string;
  citation: string;
  /** The raw layout the converter expects, in words and globs. */
  layout: string;
  /** Image-level labels the dataset offers: 'class', 'tirads', 'patient', 'pixel_spacing', ... */
  imageLabels: string[];
  /** Converter version, recorded in DONE.json and the COCO info; bump it when the output changes. Default '1'. */
  version?: string;
  /**
   * True for the datasets kept for measuring generalisation (BUSI, BUS-BRA, MMOTU-2D/3D, CCAUI):
   * never train or tune on them. `data build`, `data merge` and `train` refuse them unless told
   * otherwise (--allow-evaluation-only); `data convert` of one dataset (for evaluating on it) does not.
   */
  evaluationOnly?: boolean;
}

/** One image with its masks, as a converter yields it; the corpus writer does the rest. */
export interface ConvertedSample {
  image: RawImage;
  /** Patient or case identifier when the dataset knows it (used for patient-level splits). */
  patient?: string;
  /** Index that makes `<name>__<patient>__<index>.png` unique, or a stem when there is no patient. */
  index: string | number;
  /** Path of the raw file the image came from, relative to the raw dir. */
  sourceFile: string;
  /** One binary mask (H×W, 1 = object, row-major) per category; components are split by the writer. */
  masks: { category: string; mask: Uint8Array }[];
  /** Image-level labels (class, TI-RADS, ...). */
  labels?: Record<string, string | number>;
  /** Official split when the dataset has one ('test' is kept as test). */
  officialSplit?: 'train' | 'val' | 'test';
}

export interface ConvertOptions {
  /** Stop at the first malformed file instead of reporting it and going on. */
  strict: boolean;
  /** Reports a problem with a raw file (named) and whether it was skipped. */
  warn(file: string, problem: string): void;
}

/** A dataset module: its registry entry and its converter. */
export interface DatasetModule {
  info: DatasetInfo;
  /** Reads the raw folder and yields samples one at a time (never the whole dataset in memory). */
  convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample>;
}
