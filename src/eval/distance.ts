// Exact Euclidean distance transform (Felzenszwalb & Huttenlocher 2012): for every pixel of a region,
// the distance to the nearest pixel outside it. Outside the image counts as outside the region, as
// when the mask is zero-padded by one pixel before scipy's distance_transform_edt (the click
// simulation of RITM and SAM does exactly that), so a region pixel on the image border has distance 1.

const FAR = 1e20;

/** 1-D squared distance transform of `f` (length n) into `d`, with scratch arrays v and z. */
function transform1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    let s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    while (s <= z[k]) {
      k--;
      s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    d[q] = (q - v[k]) * (q - v[k]) + f[v[k]];
  }
}

/**
 * Squared Euclidean distance from each pixel of `region` (row-major width×height, non-zero = inside)
 * to the nearest pixel outside it or outside the image; 0 outside the region.
 */
export function squaredDistanceToOutside(region: ArrayLike<number>, width: number, height: number): Float64Array {
  if (region.length !== width * height) {
    throw new Error(`distance transform: region has ${region.length} pixels, expected ${width}×${height} = ${width * height}`);
  }
  // Work on the grid padded by one outside pixel on every side.
  const pw = width + 2;
  const ph = height + 2;
  const grid = new Float64Array(pw * ph);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (region[y * width + x]) grid[(y + 1) * pw + x + 1] = FAR;
  }
  const n = Math.max(pw, ph);
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  for (let x = 0; x < pw; x++) {
    for (let y = 0; y < ph; y++) f[y] = grid[y * pw + x];
    transform1d(f, ph, d, v, z);
    for (let y = 0; y < ph; y++) grid[y * pw + x] = d[y];
  }
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) f[x] = grid[y * pw + x];
    transform1d(f, pw, d, v, z);
    for (let x = 0; x < pw; x++) grid[y * pw + x] = d[x];
  }
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[y * width + x] = grid[(y + 1) * pw + x + 1];
  }
  return out;
}

/**
 * The region's most interior pixel: the largest distance to the outside, the first such pixel in
 * raster order on ties (as numpy's argmax / np.where(...)[0]). Undefined for an empty region.
 */
export function interiorPixel(region: ArrayLike<number>, width: number, height: number): { x: number; y: number; distance: number } | undefined {
  const dist = squaredDistanceToOutside(region, width, height);
  let best = -1;
  let bestValue = 0;
  for (let i = 0; i < dist.length; i++) {
    if (dist[i] > bestValue) {
      bestValue = dist[i];
      best = i;
    }
  }
  if (best < 0) return undefined;
  return { x: best % width, y: Math.floor(best / width), distance: Math.sqrt(bestValue) };
}
