import fs from 'node:fs';

/** Writes a file so readers see the old or the new content, never half of it. */
export function writeFileAtomic(file: string, content: string, mode = 0o644): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, content, { mode });
  fs.chmodSync(temporary, mode);
  fs.renameSync(temporary, file);
}
