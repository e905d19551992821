// Stand-in for Node's zlib in the browser bundle (see vite.config.ts): dicom-parser only calls it for
// deflated DICOM when no inflater is given, and src/image/dicom.ts always gives one.
export function inflateRawSync(): never {
  throw new Error('zlib is not available in the browser');
}
export default { inflateRawSync };
