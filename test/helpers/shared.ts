// ../shared beside the checkout (real data and reference fixtures, never committed) and the one way
// a test that needs it skips when it is absent.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The ../shared folder beside the checkout. */
export const SHARED_DIR = fileURLToPath(new URL('../../../shared/', import.meta.url));

/** A path under ../shared (a trailing `/` is kept). */
export function sharedPath(relative: string): string {
  return join(SHARED_DIR, relative);
}

/**
 * The `skip` option of a test that needs `relative` paths under ../shared: false when every one
 * exists, otherwise a message naming `what` and the first one missing.
 */
export function skipWithoutShared(what: string, ...relative: string[]): string | false {
  const missing = relative.find((r) => !existsSync(sharedPath(r)));
  return missing === undefined ? false : `${what} not found at ${sharedPath(missing)} (../shared is not checked out here)`;
}
