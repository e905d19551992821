/**
 * The canonical structure taxonomy of US-43d: one name per anatomical structure or finding, whatever
 * each dataset calls it, and one anatomy per dataset. The corpus keeps every dataset's own category
 * names (what its converter writes, as the UltraSam reference does); this table maps each category of
 * every registered dataset to its canonical structure. `data merge` (both modes) and `data stats`
 * use it, and `data list --json` shows it.
 *
 * The rules behind the table:
 * - a canonical name says what the structure is, not how the dataset graded it: benign and
 *   malignant, nodule, lesion, mass and tumour, and tumour types are one lesion per organ (the
 *   grade stays in the annotation's own category and in the image labels);
 * - a generic dataset name is made specific where it would otherwise join different things
 *   (FASS's fetal abdominal `artery` is not UBPD's `artery` of the brachial plexus region);
 * - fetal anatomy is kept apart from adult anatomy (`fetal_liver` is not `liver`);
 * - where a dataset's name does not say what its label holds, the name follows the label
 *   (CAMUS's `endocardium` is the left-ventricular cavity, its `epicardium` the myocardium).
 *
 * To add a dataset: its registry entry (registry.ts) and one entry here, with every category of its
 * `structures` mapped (test/data/structures.test.ts checks that the two agree).
 */
import { findDataset } from './registry.js';

/** Every canonical structure, with what it covers. */
export const STRUCTURES = {
  a_line: 'A-line: horizontal reverberation artefact of the pleura (lung)',
  adipose_tissue: 'fat (adipose tissue)',
  adrenal_gland: 'adrenal gland',
  aponeurosis: 'aponeurosis of a skeletal muscle',
  artery: 'an artery, not named further by the dataset (adult)',
  b_line: 'B-line: vertical artefact from the pleura (lung)',
  b_line_confluence: 'confluent B-lines (lung)',
  blood_vessel: 'a blood vessel, artery or vein not told apart by the dataset (adult)',
  bone: 'bone, not named further by the dataset',
  brachial_plexus: 'the brachial plexus (nerve trunks, divisions or cords)',
  breast_lesion: 'a breast lesion: nodule, mass or tumour, benign or malignant',
  breast_other_finding: 'another abnormal area of the breast outlined beside the main lesion',
  carotid_artery: 'common carotid artery',
  colon_wall: 'the wall of the colon',
  epicardial_region: 'the region inside an epicardial outline',
  fetal_abdomen: 'the fetal abdomen in the abdominal-circumference plane',
  fetal_abdominal_artery: 'an artery in the fetal abdomen',
  fetal_abdominal_vein: 'a vein in the fetal abdomen',
  fetal_head: 'the fetal head (skull outline and what it encloses)',
  fetal_liver: 'the fetal liver',
  fetal_stomach: 'the fetal stomach',
  gallbladder: 'gallbladder',
  gastric_submucosal_tumour: 'a submucosal tumour of the stomach wall (leiomyoma, GIST)',
  heart_chambers: 'the heart chambers, not told apart by the dataset',
  jugular_vein: 'internal jugular vein',
  kidney: 'kidney',
  left_atrium: 'left atrium',
  left_heart: 'the left ventricle with its myocardium and the left atrium, as one mask',
  left_ventricle: 'the left-ventricular cavity (inside the endocardial border)',
  left_ventricular_myocardium: 'the left-ventricular myocardium (between endo- and epicardial borders)',
  liver: 'liver',
  liver_lesion: 'a focal liver lesion (tumour, metastasis, mass)',
  muscle_fascicle: 'a muscle fascicle',
  needle: 'a needle (regional anaesthesia)',
  ovarian_lesion: 'an ovarian lesion: cyst or tumour of any type',
  ovary: 'an ovary without lesion',
  pancreas: 'pancreas',
  peripheral_nerve: 'a peripheral nerve (other than the brachial plexus, or not told apart)',
  pleural_line: 'the pleural line (lung)',
  prostate: 'prostate gland',
  pubic_symphysis: 'the pubic symphysis (intrapartum, transperineal)',
  rib: 'rib',
  right_atrium: 'right atrium',
  right_ventricle: 'right ventricle',
  skeletal_muscle: 'a skeletal muscle in cross-section',
  spine: 'vertebral bone',
  spleen: 'spleen',
  thyroid_gland: 'the thyroid gland',
  thyroid_nodule: 'a thyroid nodule',
  vein: 'a vein, not named further by the dataset (adult)',
} as const satisfies Record<string, string>;

export type StructureName = keyof typeof STRUCTURES;

/** The anatomies of the composition table, one per dataset. */
export const ANATOMIES = [
  'abdomen',
  'breast',
  'colon',
  'fetus',
  'heart',
  'intrapartum pelvis',
  'kidney',
  'liver',
  'lung',
  'neck',
  'ovary',
  'peripheral nerves',
  'prostate',
  'skeletal muscle',
  'spine',
  'stomach',
  'thyroid',
] as const;

export type Anatomy = (typeof ANATOMIES)[number];

/** One dataset in the taxonomy: its anatomy and each of its categories' canonical structure. */
export interface DatasetTaxonomy {
  anatomy: Anatomy;
  structures: Readonly<Record<string, StructureName>>;
}

/** By registry name (registry.ts), in the same order. */
const TAXONOMY: Readonly<Record<string, DatasetTaxonomy>> = {
  '105US': { anatomy: 'liver', structures: { tumor: 'liver_lesion' } },
  AbdomenUS: {
    anatomy: 'abdomen',
    structures: {
      liver: 'liver',
      kidney: 'kidney',
      pancreas: 'pancreas',
      vessels: 'blood_vessel',
      adrenals: 'adrenal_gland',
      gallbladder: 'gallbladder',
      bones: 'bone',
      spleen: 'spleen',
    },
  },
  ACOUSLIC: { anatomy: 'fetus', structures: { abdomen: 'fetal_abdomen' } },
  ASUS: { anatomy: 'spine', structures: { spine: 'spine' } },
  AUL: { anatomy: 'liver', structures: { liver: 'liver', mass: 'liver_lesion' } },
  brachial_plexus: { anatomy: 'peripheral nerves', structures: { nerve_plexus: 'brachial_plexus', needle: 'needle' } },
  BrEaST: { anatomy: 'breast', structures: { breast_nodule: 'breast_lesion', other_abnormality: 'breast_other_finding' } },
  BUID: { anatomy: 'breast', structures: { breast_nodule: 'breast_lesion' } },
  BUS: { anatomy: 'breast', structures: { breast_nodule: 'breast_lesion' } },
  BUS_UC: { anatomy: 'breast', structures: { breast_benign: 'breast_lesion', breast_malignant: 'breast_lesion' } },
  'BUS-BRA': { anatomy: 'breast', structures: { breast_nodule_benign: 'breast_lesion', breast_nodule_malignant: 'breast_lesion' } },
  'BUS-UCLM': { anatomy: 'breast', structures: { benign_breast_lesion: 'breast_lesion', malignant_breast_lesion: 'breast_lesion' } },
  BUSI: { anatomy: 'breast', structures: { breast_lesion: 'breast_lesion' } },
  'C-TRUS': { anatomy: 'colon', structures: { colon_wall: 'colon_wall' } },
  // CAMUS labels: 1 left-ventricular cavity, 2 myocardium, 3 left atrium (the reference's names).
  CAMUS: { anatomy: 'heart', structures: { endocardium: 'left_ventricle', epicardium: 'left_ventricular_myocardium', atrium_wall: 'left_atrium' } },
  'CAMUS-processed': { anatomy: 'heart', structures: { left_ventricle_and_atrium: 'left_heart' } },
  // Label 5 is drawn as an outline that the converter fills.
  CardiacUDC: {
    anatomy: 'heart',
    structures: {
      left_ventricle: 'left_ventricle',
      left_atrium: 'left_atrium',
      right_atrium: 'right_atrium',
      right_ventricle: 'right_ventricle',
      epicardium: 'epicardial_region',
    },
  },
  CCAUI: { anatomy: 'neck', structures: { carotid_artery: 'carotid_artery' } },
  DDTI: { anatomy: 'thyroid', structures: { thyroid_nodule: 'thyroid_nodule' } },
  EchoCP: { anatomy: 'heart', structures: { chamber: 'heart_chambers' } },
  'EchoNet-Dynamic': { anatomy: 'heart', structures: { left_ventricle: 'left_ventricle' } },
  'EchoNet-Pediatric': { anatomy: 'heart', structures: { left_ventricle: 'left_ventricle' } },
  FALLMUD: { anatomy: 'skeletal muscle', structures: { aponeurosis: 'aponeurosis', fascicle: 'muscle_fascicle' } },
  FASS: {
    anatomy: 'fetus',
    structures: { artery: 'fetal_abdominal_artery', liver: 'fetal_liver', stomach: 'fetal_stomach', vein: 'fetal_abdominal_vein' },
  },
  'Fast-U-Net': { anatomy: 'fetus', structures: { abdomen: 'fetal_abdomen', fetal_head: 'fetal_head' } },
  'FH-PS-AOP': { anatomy: 'intrapartum pelvis', structures: { pubic_symphysis: 'pubic_symphysis', fetal_head: 'fetal_head' } },
  // lmym: leiomyoma.
  'GIST514-DB': { anatomy: 'stomach', structures: { lmym: 'gastric_submucosal_tumour', gist: 'gastric_submucosal_tumour' } },
  HC18: { anatomy: 'fetus', structures: { fetal_head: 'fetal_head' } },
  kidneyUS: { anatomy: 'kidney', structures: { kidney: 'kidney' } },
  LUSS_phantom: {
    anatomy: 'lung',
    structures: { rib: 'rib', pleural_line: 'pleural_line', A_line: 'a_line', B_line: 'b_line', B_line_confluence: 'b_line_confluence' },
  },
  MicroSeg: { anatomy: 'prostate', structures: { prostate: 'prostate' } },
  // The mask is the lesion, named by the image's class; for 'normal_ovary' it is the ovary.
  'MMOTU-2D': {
    anatomy: 'ovary',
    structures: {
      chocolate_cyst: 'ovarian_lesion',
      serous_cystadenoma: 'ovarian_lesion',
      teratoma: 'ovarian_lesion',
      theca_cell_tumor: 'ovarian_lesion',
      simple_cyst: 'ovarian_lesion',
      normal_ovary: 'ovary',
      mucinous_cystadenoma: 'ovarian_lesion',
      high_grade_serous: 'ovarian_lesion',
    },
  },
  'MMOTU-3D': { anatomy: 'ovary', structures: { lesion: 'ovarian_lesion' } },
  MUP: { anatomy: 'prostate', structures: { prostate: 'prostate' } },
  Ultrasound_Nerve_Segmentation: { anatomy: 'peripheral nerves', structures: { brachial_plexus: 'brachial_plexus' } },
  'Ultrasound_Nerve_Segmentation-processed': { anatomy: 'peripheral nerves', structures: { brachial_plexus: 'brachial_plexus' } },
  PSFHS: { anatomy: 'intrapartum pelvis', structures: { pubic_symphysis: 'pubic_symphysis', fetal_head: 'fetal_head' } },
  regPro: { anatomy: 'prostate', structures: { prostate: 'prostate' } },
  S1: { anatomy: 'breast', structures: { benign_tumour: 'breast_lesion', malignant_tumour: 'breast_lesion' } },
  Segthy: { anatomy: 'neck', structures: { thyroid: 'thyroid_gland', carotid: 'carotid_artery', jugular: 'jugular_vein' } },
  STMUS_NDA: { anatomy: 'skeletal muscle', structures: { transverse_musculoskeletal: 'skeletal_muscle' } },
  'STU-Hospital': { anatomy: 'breast', structures: { breast_tumour: 'breast_lesion' } },
  TG3K: { anatomy: 'thyroid', structures: { thyroid_gland: 'thyroid_gland' } },
  ThyroidUSCineclip: { anatomy: 'thyroid', structures: { thyroid_nodule: 'thyroid_nodule' } },
  TN3K: { anatomy: 'thyroid', structures: { thyroid_nodule: 'thyroid_nodule' } },
  TNSCUI: { anatomy: 'thyroid', structures: { thyroid_nodule: 'thyroid_nodule' } },
  // Labels from the pinyin names: dongmai artery, jingmai vein, jirouzuzhi muscle, shenjing nerve,
  // zhifang fat, jizhu spine; the nerves imaged are the brachial plexus.
  UBPD: {
    anatomy: 'peripheral nerves',
    structures: { artery: 'artery', vein: 'vein', muscle: 'skeletal_muscle', nerve: 'brachial_plexus', fat: 'adipose_tissue', spine: 'spine' },
  },
  // Nerves of five block regions (interscalene to axillary brachial plexus, elbow, femoral, popliteal
  // sciatic), not told apart: not only the brachial plexus.
  'USGRA-Seg': { anatomy: 'peripheral nerves', structures: { nerve: 'peripheral_nerve', blood_vessel: 'blood_vessel' } },
};

/** The names of the datasets the taxonomy maps (registry names). */
export function taxonomyDatasets(): string[] {
  return Object.keys(TAXONOMY);
}

/** A dataset's anatomy and category mapping, by registry name or alias (any case); undefined when not mapped. */
export function datasetTaxonomy(dataset: string): DatasetTaxonomy | undefined {
  const name = findDataset(dataset)?.info.name ?? dataset;
  return TAXONOMY[name];
}

/** The canonical structure of one category of one dataset; undefined when the taxonomy does not know it. */
export function canonicalStructure(dataset: string, category: string): StructureName | undefined {
  const taxonomy = datasetTaxonomy(dataset);
  return taxonomy && Object.hasOwn(taxonomy.structures, category) ? taxonomy.structures[category] : undefined;
}

/**
 * The canonical structure of a category, or an error naming `where` (the file), the dataset and the
 * category, with the dataset's known categories (a corpus converted by an older converter may use
 * other names: convert it again).
 */
export function requireCanonicalStructure(dataset: string, category: string, where: string): StructureName {
  const structure = canonicalStructure(dataset, category);
  if (structure) return structure;
  const taxonomy = datasetTaxonomy(dataset);
  if (!taxonomy) {
    throw new Error(`${where}: dataset "${dataset}" is not in the structure taxonomy (src/data/structures.ts maps the registered datasets only)`);
  }
  throw new Error(
    `${where}: category "${category}" of ${dataset} has no canonical structure; ${dataset}'s categories are ` +
      `${Object.keys(taxonomy.structures).join(', ')} (a corpus converted by another converter version: convert it again)`,
  );
}

/** True when `name` is a canonical structure. */
export function isStructureName(name: string): name is StructureName {
  return Object.hasOwn(STRUCTURES, name);
}

/**
 * Checks names given as structures (merge filters): each must be canonical. A dataset category
 * name is pointed to its canonical structure.
 */
export function checkStructureNames(names: readonly string[], flag: string): void {
  for (const name of names) {
    if (isStructureName(name)) continue;
    const meant = new Set<string>();
    for (const taxonomy of Object.values(TAXONOMY)) {
      if (Object.hasOwn(taxonomy.structures, name)) meant.add(taxonomy.structures[name]);
    }
    const hint = meant.size > 0 ? `: "${name}" is a dataset category; its canonical structure is ${[...meant].join(' or ')}` : '';
    throw new Error(`${flag}: unknown structure "${name}"${hint} (canonical structures: ${Object.keys(STRUCTURES).join(', ')})`);
  }
}
