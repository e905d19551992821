/** What went wrong while reading an image, for callers that react differently (CLI exit codes, the web app's message). */
export type ImageErrorKind =
  /** The file could not be read at all (missing, a directory, no permission). */
  | 'unreadable'
  /** The file or buffer has no bytes, or the image has no pixels. */
  | 'empty'
  /** A format, transfer syntax or pixel layout that this package does not decode. */
  | 'unsupported'
  /** The data ends before the image does. */
  | 'truncated'
  /** The bytes contradict themselves (bad header, bad sizes, decoder failure). */
  | 'corrupt'
  /** The caller asked for something the image does not have (a frame out of range, bad raw pixels). */
  | 'invalid'
  /** More pixels than the cap (limits.ts) allows: refused from the header, before decoding. */
  | 'too-large';

/** An image could not be read; the message starts with the file (or buffer) name. */
export class ImageReadError extends Error {
  override readonly name = 'ImageReadError';

  constructor(
    /** The path, or the name given for an in-memory buffer. */
    readonly source: string,
    readonly kind: ImageErrorKind,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${detail}`, options);
  }
}

/** The text of whatever a decoder threw (dicom-parser throws strings and plain objects). */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === 'string') return thrown;
  if (thrown && typeof thrown === 'object' && 'exception' in thrown) return describeThrown(thrown.exception);
  return String(thrown);
}
