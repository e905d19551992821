import type { DataSet } from 'dicom-parser';

/**
 * Physical pixel size of a DICOM image in millimetres, [x, y].
 *
 * Ultrasound scanners calibrate per region of the screen (the B-mode sector, a Doppler strip, ...)
 * in the Sequence of Ultrasound Regions rather than in Pixel Spacing, so that comes first: among the
 * 2D regions whose both axes are in centimetres, the largest one is taken as the region the image is
 * about. Without it, Pixel Spacing (0028,0030) and then Imager Pixel Spacing (0018,1164) are used;
 * both list the row spacing (y) first.
 */
export function dicomPixelSpacingMm(dataSet: DataSet): [number, number] | undefined {
  return ultrasoundRegionSpacing(dataSet) ?? pairSpacing(dataSet, 'x00280030') ?? pairSpacing(dataSet, 'x00181164');
}

const TAG = {
  regions: 'x00186011',
  spatialFormat: 'x00186012',
  minX0: 'x00186018',
  minY0: 'x0018601a',
  maxX1: 'x0018601c',
  maxY1: 'x0018601e',
  unitsX: 'x00186024',
  unitsY: 'x00186026',
  deltaX: 'x0018602c',
  deltaY: 'x0018602e',
} as const;

/** RegionSpatialFormat 1: a 2D (tissue or flow) image. */
const SPATIAL_FORMAT_2D = 1;
/** PhysicalUnits{X,Y}Direction 3: centimetres. */
const UNITS_CM = 3;

function ultrasoundRegionSpacing(dataSet: DataSet): [number, number] | undefined {
  const items = dataSet.elements[TAG.regions]?.items ?? [];
  let best: { area: number; spacing: [number, number] } | undefined;
  for (const item of items) {
    const region = item.dataSet;
    if (!region) continue;
    if (region.uint16(TAG.spatialFormat) !== SPATIAL_FORMAT_2D) continue;
    if (region.uint16(TAG.unitsX) !== UNITS_CM || region.uint16(TAG.unitsY) !== UNITS_CM) continue;
    // The deltas are signed to give the axis direction; only the size matters here.
    const dx = Math.abs(region.double(TAG.deltaX) ?? NaN);
    const dy = Math.abs(region.double(TAG.deltaY) ?? NaN);
    if (!(dx > 0 && dy > 0 && Number.isFinite(dx) && Number.isFinite(dy))) continue;
    const width = (region.uint32(TAG.maxX1) ?? 0) - (region.uint32(TAG.minX0) ?? 0) + 1;
    const height = (region.uint32(TAG.maxY1) ?? 0) - (region.uint32(TAG.minY0) ?? 0) + 1;
    const area = Math.max(width, 0) * Math.max(height, 0);
    if (!best || area > best.area) best = { area, spacing: [dx * 10, dy * 10] };
  }
  return best?.spacing;
}

/** A "row\column" decimal string pair in mm → [x, y]. */
function pairSpacing(dataSet: DataSet, tag: string): [number, number] | undefined {
  if (!dataSet.elements[tag]) return undefined;
  const row = dataSet.floatString(tag, 0);
  const column = dataSet.floatString(tag, 1);
  if (row === undefined || column === undefined || !(row > 0) || !(column > 0)) return undefined;
  return [column, row];
}
