import fs from 'node:fs';

/**
 * Reads nodes' public host key files (`host_ed25519.pub`), each cached until the file changes.
 * A node (re)created, even on the same port, gets a freshly generated file (new inode and
 * mtime), so the cache never answers with the key of a node that is gone.
 */
export class HostKeyFiles {
  readonly #cache = new Map<string, { version: string; lines: readonly string[] }>();

  /** The public key lines of `file`; null when it does not exist (or vanished meanwhile). */
  read(file: string): readonly string[] | null {
    try {
      const stat = fs.statSync(file);
      const version = `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
      const cached = this.#cache.get(file);
      if (cached?.version === version) return cached.lines;
      const lines = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
      this.#cache.set(file, { version, lines });
      return lines;
    } catch {
      this.#cache.delete(file);
      return null;
    }
  }
}
