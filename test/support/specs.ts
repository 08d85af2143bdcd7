import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * A folder of the published contracts (`shared/specs/<name>`, kept beside the repository and
 * never copied into it): `MPIBOX_SPECS_DIR` when set, else the nearest `shared/specs` above
 * the repository. Throws with what to do when there is none: tests need the real contracts.
 */
export function specsDir(name: string): string {
  const candidates = process.env.MPIBOX_SPECS_DIR ? [path.resolve(process.env.MPIBOX_SPECS_DIR)] : [];
  for (let dir = path.dirname(REPO); ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, 'shared', 'specs'));
    if (path.dirname(dir) === dir) break;
  }
  const found = candidates.find((candidate) => fs.existsSync(path.join(candidate, name)));
  if (!found) {
    throw new Error(
      `the published specs (shared/specs/${name}) are not beside the repository; set MPIBOX_SPECS_DIR to the specs folder`,
    );
  }
  return path.join(found, name);
}
