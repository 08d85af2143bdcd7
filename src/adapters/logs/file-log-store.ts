import fs from 'node:fs';
import path from 'node:path';
import type { LogStore } from '../../ports/log-store.ts';

/** Job logs as files `<dir>/<jobId>.log`, written through an open descriptor per running job. */
export class FileLogStore implements LogStore {
  readonly #dir: string;
  readonly #fds = new Map<number, number>();

  constructor(dir: string) {
    this.#dir = dir;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  size(jobId: number): number {
    try {
      return fs.statSync(this.path(jobId)).size;
    } catch {
      return 0;
    }
  }

  append(jobId: number, chunk: Buffer): void {
    let fd = this.#fds.get(jobId);
    if (fd === undefined) {
      fd = fs.openSync(this.path(jobId), 'a', 0o600);
      this.#fds.set(jobId, fd);
    }
    // A process crash keeps what write() returned; a machine crash may lose the tail, and the
    // next start simply fetches those bytes again from the node (the size is the offset).
    let written = 0;
    while (written < chunk.length) written += fs.writeSync(fd, chunk, written);
  }

  tail(jobId: number, lines: number, maxBytes: number): string {
    let fd: number;
    try {
      fd = fs.openSync(this.path(jobId), 'r');
    } catch {
      return '';
    }
    try {
      const size = fs.fstatSync(fd).size;
      const length = Math.min(size, maxBytes);
      const buffer = Buffer.alloc(length);
      fs.readSync(fd, buffer, 0, length, size - length);
      let text = buffer.toString('utf8');
      if (length < size) text = text.slice(text.indexOf('\n') + 1); // drop a partial first line
      const all = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
      return all.slice(-lines).join('\n');
    } finally {
      fs.closeSync(fd);
    }
  }

  read(jobId: number, fromByte: number, maxBytes: number): Buffer {
    let fd: number;
    try {
      fd = fs.openSync(this.path(jobId), 'r');
    } catch {
      return Buffer.alloc(0);
    }
    try {
      const buffer = Buffer.alloc(Math.max(0, Math.min(maxBytes, fs.fstatSync(fd).size - fromByte)));
      const read = buffer.length === 0 ? 0 : fs.readSync(fd, buffer, 0, buffer.length, fromByte);
      return buffer.subarray(0, read);
    } finally {
      fs.closeSync(fd);
    }
  }

  path(jobId: number): string {
    return path.join(this.#dir, `job-${jobId}.log`);
  }

  close(jobId: number): void {
    const fd = this.#fds.get(jobId);
    if (fd !== undefined) fs.closeSync(fd);
    this.#fds.delete(jobId);
  }
}
