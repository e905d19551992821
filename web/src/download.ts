// Saving files from the page: a Blob through a temporary link (nothing leaves the machine).
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A mask as an 8-bit PNG: 255 object, 0 background (canvas PNGs are RGBA; grey values are equal). */
export async function maskPng(mask: Uint8Array, width: number, height: number): Promise<Blob> {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < mask.length; p++) {
    const v = mask[p] ? 255 : 0;
    rgba[4 * p] = v;
    rgba[4 * p + 1] = v;
    rgba[4 * p + 2] = v;
    rgba[4 * p + 3] = 255;
  }
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no canvas to draw the mask PNG (out of memory?)');
  context.putImageData(new ImageData(rgba, width, height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}
