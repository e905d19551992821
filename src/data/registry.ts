/**
 * The US-43d registry: every dataset module, looked up by corpus name or alias (case-insensitive,
 * '-', '_' and spaces ignored). To add a dataset: one import line and one entry in DATASETS, both
 * kept in alphabetical order of the file name.
 */
import { dataset as us105 } from './datasets/105us.js';
import { dataset as abdomenus } from './datasets/abdomenus.js';
import { dataset as acouslic } from './datasets/acouslic.js';
import { dataset as asus } from './datasets/asus.js';
import { dataset as aul } from './datasets/aul.js';
import { dataset as brachial_plexus } from './datasets/brachial_plexus.js';
import { dataset as breast } from './datasets/breast.js';
import { dataset as buid } from './datasets/buid.js';
import { dataset as bus_b } from './datasets/bus_b.js';
import { dataset as bus_bra } from './datasets/bus_bra.js';
import { dataset as bus_uc } from './datasets/bus_uc.js';
import { dataset as bus_uclm } from './datasets/bus_uclm.js';
import { dataset as busi } from './datasets/busi.js';
import { dataset as c_trus } from './datasets/c_trus.js';
import { dataset as camus } from './datasets/camus.js';
import { dataset as camus_processed } from './datasets/camus_processed.js';
import { dataset as cardiacudc } from './datasets/cardiacudc.js';
import { dataset as ccaui } from './datasets/ccaui.js';
import { dataset as ddti } from './datasets/ddti.js';
import { dataset as echocp } from './datasets/echocp.js';
import { dataset as echonet_dynamic } from './datasets/echonet_dynamic.js';
import { dataset as echonet_pediatric } from './datasets/echonet_pediatric.js';
import { dataset as fallmud } from './datasets/fallmud.js';
import { dataset as fass } from './datasets/fass.js';
import { dataset as fast_u_net } from './datasets/fast_u_net.js';
import { dataset as fh_ps_aop } from './datasets/fh_ps_aop.js';
import { dataset as gist514_db } from './datasets/gist514_db.js';
import { dataset as hc18 } from './datasets/hc18.js';
import { dataset as kidneyus } from './datasets/kidneyus.js';
import { dataset as luss_phantom } from './datasets/luss_phantom.js';
import { dataset as microseg } from './datasets/microseg.js';
import { dataset as mmotu_2d } from './datasets/mmotu_2d.js';
import { dataset as mmotu_3d } from './datasets/mmotu_3d.js';
import { dataset as mup } from './datasets/mup.js';
import { dataset as nerve_segmentation } from './datasets/nerve_segmentation.js';
import { dataset as nerve_segmentation_processed } from './datasets/nerve_segmentation_processed.js';
import { dataset as psfhs } from './datasets/psfhs.js';
import { dataset as regpro } from './datasets/regpro.js';
import { dataset as s1 } from './datasets/s1.js';
import { dataset as segthy } from './datasets/segthy.js';
import { dataset as stmus_nda } from './datasets/stmus_nda.js';
import { dataset as stu_hospital } from './datasets/stu_hospital.js';
import { dataset as tg3k } from './datasets/tg3k.js';
import { dataset as thyroid_cineclip } from './datasets/thyroid_cineclip.js';
import { dataset as tn3k } from './datasets/tn3k.js';
import { dataset as tnscui } from './datasets/tnscui.js';
import { dataset as ubpd } from './datasets/ubpd.js';
import { dataset as usgra_seg } from './datasets/usgra_seg.js';
import type { DatasetModule } from './types.js';

const DATASETS: DatasetModule[] = [
  us105,
  abdomenus,
  acouslic,
  asus,
  aul,
  brachial_plexus,
  breast,
  buid,
  bus_b,
  bus_bra,
  bus_uc,
  bus_uclm,
  busi,
  c_trus,
  camus,
  camus_processed,
  cardiacudc,
  ccaui,
  ddti,
  echocp,
  echonet_dynamic,
  echonet_pediatric,
  fallmud,
  fass,
  fast_u_net,
  fh_ps_aop,
  gist514_db,
  hc18,
  kidneyus,
  luss_phantom,
  microseg,
  mmotu_2d,
  mmotu_3d,
  mup,
  nerve_segmentation,
  nerve_segmentation_processed,
  psfhs,
  regpro,
  s1,
  segthy,
  stmus_nda,
  stu_hospital,
  tg3k,
  thyroid_cineclip,
  tn3k,
  tnscui,
  ubpd,
  usgra_seg,
];

/** Lower case without '-', '_', '.' and spaces: "FH-PS-AOP", "fh_ps_aop" and "FH PS AOP" are one key. */
export function datasetKey(name: string): string {
  return name.toLowerCase().replace(/[-_.\s]+/g, '');
}

function buildIndex(): Map<string, DatasetModule> {
  const index = new Map<string, DatasetModule>();
  for (const module of DATASETS) {
    for (const name of [module.info.name, ...(module.info.aliases ?? [])]) {
      const key = datasetKey(name);
      const other = index.get(key);
      if (other && other !== module) {
        throw new Error(`registry: "${name}" of ${module.info.name} clashes with ${other.info.name}`);
      }
      index.set(key, module);
    }
  }
  return index;
}

const INDEX = buildIndex();

/** Every registered dataset, sorted by corpus name. */
export function listDatasets(): DatasetModule[] {
  return [...DATASETS].sort((a, b) => a.info.name.localeCompare(b.info.name, 'en', { sensitivity: 'base' }));
}

/** The dataset called `name` (corpus name or alias, any case), if registered. */
export function findDataset(name: string): DatasetModule | undefined {
  return INDEX.get(datasetKey(name));
}

/** The dataset called `name`; an error listing the known names otherwise. */
export function getDataset(name: string): DatasetModule {
  const module = findDataset(name);
  if (!module) {
    const known = listDatasets()
      .map((m) => m.info.name)
      .join(', ');
    throw new Error(`unknown dataset "${name}"; known datasets: ${known}`);
  }
  return module;
}

/**
 * Corpus names of the evaluation-only datasets among `names` (corpus names or aliases, any case),
 * sorted; names that are not registered datasets are ignored.
 */
export function evaluationOnlyAmong(names: Iterable<string>): string[] {
  const found = new Set<string>();
  for (const name of names) {
    const module = findDataset(name);
    if (module?.info.evaluationOnly) found.add(module.info.name);
  }
  return [...found].sort();
}

/** The command-line flag that lets `data build`, `data merge` and `train` use evaluation-only datasets. */
export const ALLOW_EVALUATION_ONLY_FLAG = '--allow-evaluation-only';

/**
 * The error that refuses to `action` (e.g. 'convert', 'merge', 'train on') evaluation-only
 * datasets: names them, says why, and how to go ahead anyway (`remedy`, e.g. the flag).
 */
export function evaluationOnlyRefusal(datasets: string[], action: string, remedy: string): Error {
  const what = datasets.length === 1 ? 'an evaluation-only dataset' : 'evaluation-only datasets';
  return new Error(`refusing to ${action} ${datasets.join(', ')}: ${what}, kept for measuring generalisation (never train or tune on them); ${remedy}`);
}
