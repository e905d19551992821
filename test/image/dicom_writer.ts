/**
 * Test helper: builds small, valid DICOM Part-10 files (preamble, "DICM", explicit-VR meta group,
 * then the data set in implicit or explicit VR little endian, deflated, or explicit big endian), with
 * native or encapsulated pixel data.
 */
import { deflateSync } from 'fflate';

export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
export const RLE_LOSSLESS = '1.2.840.10008.1.2.5';
export const JPEG_2000 = '1.2.840.10008.1.2.4.90';
export const DEFLATED_LE = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_BE = '1.2.840.10008.1.2.2';

export type DicomValue =
  | { vr: 'US' | 'SS' | 'UL' | 'FD'; values: number[] }
  | { vr: 'CS' | 'DS' | 'IS' | 'UI' | 'LO' | 'SH'; value: string }
  | { vr: 'OB' | 'OW'; bytes: Uint8Array }
  | { vr: 'SQ'; items: DicomElements[] }
  /** Encapsulated pixel data: an empty basic offset table, then one item per fragment. */
  | { vr: 'encapsulated'; fragments: Uint8Array[] };

/** Tag "GGGG,EEEE" (hex) → value. */
export type DicomElements = Record<string, DicomValue>;

const LONG_LENGTH_VRS = new Set(['OB', 'OW', 'SQ', 'UN', 'UT']);

class ByteSink {
  private chunks: Uint8Array[] = [];
  length = 0;
  constructor(private readonly littleEndian = true) {}
  push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
  u16(v: number): void {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, this.littleEndian);
    this.push(b);
  }
  u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, this.littleEndian);
    this.push(b);
  }
  ascii(s: string): void {
    this.push(new Uint8Array([...s].map((c) => c.charCodeAt(0))));
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function valueBytes(value: Exclude<DicomValue, { vr: 'SQ' } | { vr: 'encapsulated' }>, le: boolean): Uint8Array {
  switch (value.vr) {
    case 'US':
    case 'SS': {
      const b = new Uint8Array(value.values.length * 2);
      const view = new DataView(b.buffer);
      value.values.forEach((v, i) => (value.vr === 'US' ? view.setUint16(i * 2, v, le) : view.setInt16(i * 2, v, le)));
      return b;
    }
    case 'UL': {
      const b = new Uint8Array(value.values.length * 4);
      value.values.forEach((v, i) => new DataView(b.buffer).setUint32(i * 4, v, le));
      return b;
    }
    case 'FD': {
      const b = new Uint8Array(value.values.length * 8);
      value.values.forEach((v, i) => new DataView(b.buffer).setFloat64(i * 8, v, le));
      return b;
    }
    case 'OB':
      return value.bytes.length % 2 ? concat([value.bytes, new Uint8Array(1)]) : value.bytes;
    case 'OW': {
      // OW is a run of 16-bit words given here in little-endian order: swap each pair for big endian.
      const b = value.bytes.length % 2 ? concat([value.bytes, new Uint8Array(1)]) : new Uint8Array(value.bytes);
      if (!le) for (let i = 0; i < b.length; i += 2) [b[i], b[i + 1]] = [b[i + 1], b[i]];
      return b;
    }
    default: {
      const pad = value.vr === 'UI' ? '\0' : ' ';
      const text = value.value.length % 2 ? value.value + pad : value.value;
      return new Uint8Array([...text].map((c) => c.charCodeAt(0)));
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const sink = new ByteSink();
  parts.forEach((p) => sink.push(p));
  return sink.bytes();
}

function tagNumbers(tag: string): [number, number] {
  const m = /^([0-9a-f]{4}),([0-9a-f]{4})$/i.exec(tag);
  if (!m) throw new Error(`bad tag ${tag}`);
  return [parseInt(m[1], 16), parseInt(m[2], 16)];
}

export function encodeDataSet(elements: DicomElements, explicit: boolean, le = true): Uint8Array {
  const sink = new ByteSink(le);
  const tags = Object.keys(elements).sort((a, b) => {
    const [ga, ea] = tagNumbers(a);
    const [gb, eb] = tagNumbers(b);
    return ga - gb || ea - eb;
  });
  for (const tag of tags) {
    const value = elements[tag];
    const [group, element] = tagNumbers(tag);
    sink.u16(group);
    sink.u16(element);
    const vr = value.vr === 'encapsulated' ? 'OB' : value.vr;
    let body: Uint8Array;
    let length: number;
    if (value.vr === 'SQ') {
      const items = new ByteSink(le);
      for (const item of value.items) {
        const encoded = encodeDataSet(item, explicit, le);
        items.u16(0xfffe);
        items.u16(0xe000);
        items.u32(encoded.length);
        items.push(encoded);
      }
      body = items.bytes();
      length = body.length;
    } else if (value.vr === 'encapsulated') {
      const items = new ByteSink(le);
      for (const fragment of [new Uint8Array(0), ...value.fragments]) {
        const padded = fragment.length % 2 ? concat([fragment, new Uint8Array(1)]) : fragment;
        items.u16(0xfffe);
        items.u16(0xe000);
        items.u32(padded.length);
        items.push(padded);
      }
      items.u16(0xfffe);
      items.u16(0xe0dd);
      items.u32(0);
      body = items.bytes();
      length = 0xffffffff;
    } else {
      body = valueBytes(value, le);
      length = body.length;
    }
    if (explicit) {
      sink.ascii(vr);
      if (LONG_LENGTH_VRS.has(vr)) {
        sink.u16(0);
        sink.u32(length);
      } else sink.u16(length);
    } else sink.u32(length);
    sink.push(body);
  }
  return sink.bytes();
}

export interface BuildOptions {
  transferSyntax?: string;
  /** Leave out the 128-byte preamble, "DICM" and the meta group (a bare data set). */
  bare?: boolean;
  /** The data set's bytes exactly as written after the meta group (e.g. a hand-made deflate stream); `elements` are then unused. */
  body?: Uint8Array;
}

/** A complete DICOM file holding `elements`. */
export function buildDicom(elements: DicomElements, options: BuildOptions = {}): Uint8Array {
  const transferSyntax = options.transferSyntax ?? EXPLICIT_LE;
  let body = options.body ?? encodeDataSet(elements, transferSyntax !== IMPLICIT_LE, transferSyntax !== EXPLICIT_BE);
  if (transferSyntax === DEFLATED_LE && !options.body) body = deflateSync(body); // raw DEFLATE, as PS3.5 A.5 specifies
  if (options.bare) return body;
  const metaRest = encodeDataSet(
    {
      '0002,0001': { vr: 'OB', bytes: new Uint8Array([0, 1]) },
      '0002,0002': { vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.3.1' },
      '0002,0003': { vr: 'UI', value: '1.2.826.0.1.3680043.8.498.1' },
      '0002,0010': { vr: 'UI', value: transferSyntax },
      '0002,0012': { vr: 'UI', value: '1.2.826.0.1.3680043.8.498' },
    },
    true,
  );
  const groupLength = encodeDataSet({ '0002,0000': { vr: 'UL', values: [metaRest.length] } }, true);
  const sink = new ByteSink();
  sink.push(new Uint8Array(128));
  sink.ascii('DICM');
  sink.push(groupLength);
  sink.push(metaRest);
  sink.push(body);
  return sink.bytes();
}

export interface PixelModule {
  rows: number;
  columns: number;
  photometric: string;
  bitsAllocated: 8 | 16;
  bitsStored?: number;
  samplesPerPixel?: number;
  frames?: number;
  pixelRepresentation?: 0 | 1;
  planarConfiguration?: 0 | 1;
  /** Native pixel data (16-bit samples little endian); or pass `fragments` for encapsulated data. */
  pixels?: Uint8Array | Uint16Array | Int16Array;
  fragments?: Uint8Array[];
}

/** The Image Pixel module's elements for an ultrasound image. */
export function pixelElements(p: PixelModule): DicomElements {
  const samples = p.samplesPerPixel ?? (p.photometric.startsWith('MONOCHROME') || p.photometric === 'PALETTE COLOR' ? 1 : 3);
  const bitsStored = p.bitsStored ?? p.bitsAllocated;
  const elements: DicomElements = {
    '0008,0060': { vr: 'CS', value: 'US' },
    '0028,0002': { vr: 'US', values: [samples] },
    '0028,0004': { vr: 'CS', value: p.photometric },
    '0028,0010': { vr: 'US', values: [p.rows] },
    '0028,0011': { vr: 'US', values: [p.columns] },
    '0028,0100': { vr: 'US', values: [p.bitsAllocated] },
    '0028,0101': { vr: 'US', values: [bitsStored] },
    '0028,0102': { vr: 'US', values: [bitsStored - 1] },
    '0028,0103': { vr: 'US', values: [p.pixelRepresentation ?? 0] },
  };
  if (samples > 1) elements['0028,0006'] = { vr: 'US', values: [p.planarConfiguration ?? 0] };
  if (p.frames !== undefined) elements['0028,0008'] = { vr: 'IS', value: String(p.frames) };
  if (p.fragments) elements['7fe0,0010'] = { vr: 'encapsulated', fragments: p.fragments };
  else if (p.pixels) {
    const px = p.pixels;
    const bytes = new Uint8Array(px.buffer, px.byteOffset, px.byteLength);
    elements['7fe0,0010'] = { vr: p.bitsAllocated === 16 ? 'OW' : 'OB', bytes };
  }
  return elements;
}

/** One item of the Sequence of Ultrasound Regions (0018,6011). */
export function ultrasoundRegion(r: { x0: number; y0: number; x1: number; y1: number; deltaX: number; deltaY: number; unitsX?: number; unitsY?: number; spatialFormat?: number }): DicomElements {
  return {
    '0018,6012': { vr: 'US', values: [r.spatialFormat ?? 1] },
    '0018,6018': { vr: 'UL', values: [r.x0] },
    '0018,601a': { vr: 'UL', values: [r.y0] },
    '0018,601c': { vr: 'UL', values: [r.x1] },
    '0018,601e': { vr: 'UL', values: [r.y1] },
    '0018,6024': { vr: 'US', values: [r.unitsX ?? 3] },
    '0018,6026': { vr: 'US', values: [r.unitsY ?? 3] },
    '0018,602c': { vr: 'FD', values: [r.deltaX] },
    '0018,602e': { vr: 'FD', values: [r.deltaY] },
  };
}
