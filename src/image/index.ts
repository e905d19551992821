// The image room's public surface: reading (PNG/JPEG/BMP/TIFF/WebP/GIF/DICOM), SAM's resize, 8-bit
// conversion, overlays and PNG writing. dicom.ts, bmp.ts, convert.ts, overlay.ts and resize.ts use no
// Node-only API and can be imported on their own in the browser; read.ts and write.ts need Node (sharp, fs).
export type { RawImage } from './types.js';
export { ImageReadError, type ImageErrorKind } from './errors.js';
export { DEFAULT_MAX_PIXELS, MAX_PIXELS_ENV, checkPixelCount, maxImagePixels } from './limits.js';
export { readImage, readImageFrames, type ImageSource, type RawImageLike, type ReadImageOptions } from './read.js';
export { detectImageFormat, type ImageFormat } from './format.js';
export { decodeBmp, isBmp } from './bmp.js';
export { isDicom, readDicom, readDicomFrames, readDicomInfo, type DicomInfo, type DicomReadOptions, type JpegDecoder } from './dicom.js';
export { getPreprocessShape, resizeBilinearPil, resizeLongestSide } from './resize.js';
export { toRgb8 } from './convert.js';
export { OVERLAY_PALETTE, renderOverlay, type OverlayMask, type OverlayOptions, type Rgb } from './overlay.js';
export { encodePng, writeFileAtomic, writeMaskPng, writeOverlayPng } from './write.js';
