// The folder of the installed ultrasam package (the one holding its package.json), from any of its
// modules, whether run from src/ through tsx or from the compiled dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the ultrasam package root');
    dir = up;
  }
  return dir;
}
