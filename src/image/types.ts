/** A decoded raster image, row-major, channels interleaved (H × W × C). */
export interface RawImage {
  /** Uint8Array for 8-bit images, Uint16Array for 16-bit ones. */
  data: Uint8Array | Uint16Array;
  width: number;
  height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
  channels: number;
  /**
   * Physical size of one pixel in millimetres [x, y], when the source says so
   * (DICOM ultrasound region calibration, a dataset's CSV, NIfTI/MHA header).
   */
  pixelSpacingMm?: [number, number];
}
