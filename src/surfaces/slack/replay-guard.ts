import fs from 'node:fs';

/**
 * Refuses a signed Slack request seen before, or stamped outside the window in which a
 * signature is honoured. Slack's signature covers the timestamp and the body; a timestamp is
 * honoured from `windowInMs` (five minutes, as Bolt's check) in the past to a minute of clock
 * skew in the future, and a signature is remembered for as long as its timestamp is honoured.
 * Bolt itself only refuses old timestamps: one stamped an hour ahead would be honoured for an
 * hour and five minutes, longer than any memory kept here.
 *
 * Only signatures that then proved genuine are remembered (see `admit`): a flood of junk with
 * made-up signatures cannot push a real one out. Requests still being checked are held too,
 * so a replay racing the original is refused. With a journal file, the remembered signatures
 * survive a restart (a request captured just before it cannot be played after it).
 */
/** How far ahead of our clock a timestamp may be (Slack's clock and ours differ a little). */
export const SKEW_IN_MS = 60_000;

export class ReplayGuard {
  /** Accepted signatures and when they may be forgotten (ms). */
  readonly #seen = new Map<string, number>();
  /** Signatures whose requests are still being checked. */
  readonly #pending = new Set<string>();
  readonly #windowInMs: number;
  readonly #now: () => number;
  readonly #journal: SignatureJournal | null;
  #nextSweepAtMs = 0;

  constructor(now: () => number, options: { windowInMs?: number; journalPath?: string | null } = {}) {
    this.#now = now;
    this.#windowInMs = options.windowInMs ?? 5 * 60_000;
    this.#journal = options.journalPath ? new SignatureJournal(options.journalPath) : null;
    // Nothing this guard writes lives longer than its window from now (plus skew): a line that
    // does (an older build's, or a hand-edited file) would stall the ordered sweep.
    const latest = now() + this.#windowInMs + 2 * SKEW_IN_MS;
    for (const [signature, expiresAtMs] of this.#journal?.load(now()) ?? []) {
      if (expiresAtMs <= latest) this.#seen.set(signature, expiresAtMs);
    }
  }

  /**
   * Null for a request to refuse: a replay; a signature that is not exactly `v0=` and 64 hex
   * digits (Bolt would read `v0=<hash>=x` as the same signature, so a replay could otherwise
   * slip past under a new spelling); a timestamp that is not whole seconds in decimal digits
   * (`Infinity`, `NaN`, `1e10`), older than the window or more than SKEW_IN_MS ahead of our
   * clock. Otherwise a ticket: call `accepted()` once the signature proved genuine, or
   * `rejected()` when it did not.
   */
  admit(signature: string | undefined, timestampHeader: string | undefined): Ticket | null {
    if (signature === undefined || !/^v0=[0-9a-f]{64}$/.test(signature)) return null;
    if (timestampHeader === undefined || !/^[0-9]{1,15}$/.test(timestampHeader)) return null;
    const now = this.#now();
    const signedAtMs = Number(timestampHeader) * 1000;
    if (signedAtMs < now - this.#windowInMs || signedAtMs > now + SKEW_IN_MS) return null;
    this.#sweep(now);
    if (this.#seen.has(signature) || this.#pending.has(signature)) return null;
    this.#pending.add(signature);
    let settled = false;
    return {
      accepted: () => {
        if (settled) return;
        settled = true;
        this.#pending.delete(signature);
        // Refused as too old from signedAtMs + window on; a minute more to spare (Bolt's check
        // rounds to whole seconds, and another clock may judge the same request).
        const expiresAtMs = signedAtMs + this.#windowInMs + SKEW_IN_MS;
        this.#seen.set(signature, expiresAtMs);
        this.#journal?.append(signature, expiresAtMs);
      },
      rejected: () => {
        if (settled) return;
        settled = true;
        this.#pending.delete(signature);
      },
    };
  }

  /** Writes what the journal still holds (on a clean stop). */
  close(): void {
    this.#journal?.close();
  }

  /**
   * Forgets expired signatures, oldest first, at most once a second, stopping at the first one
   * still live: Slack stamps a request as it sends it, so expiries follow arrival order within
   * a little skew, this costs only what expired, and the few left a little longer only refuse
   * requests that are refused as too old anyway.
   */
  #sweep(now: number): void {
    if (now < this.#nextSweepAtMs) return;
    this.#nextSweepAtMs = now + 1000;
    for (const [signature, expiresAtMs] of this.#seen) {
      if (expiresAtMs > now) break;
      this.#seen.delete(signature);
    }
    this.#journal?.compact(this.#seen);
  }
}

export interface Ticket {
  accepted(): void;
  rejected(): void;
}

/**
 * Accepted signatures on disk, one `expiresAtMs signature` line each, appended through one
 * open stream in batches (at most every 200 ms, so answering Slack never waits for the disk)
 * and rewritten without the expired ones when mostly expired.
 */
class SignatureJournal {
  readonly #path: string;
  #batch: string[] = [];
  #lines = 0;
  /** Null while a rewrite is under way: lines wait in the batch meanwhile. */
  #stream: fs.WriteStream | null = null;
  /** What a rewrite under way will write (it waits for the old stream to finish). */
  #rewriting: [string, number][] | null = null;
  #closed = false;

  constructor(path: string) {
    this.#path = path;
  }

  load(now: number): [string, number][] {
    let text = '';
    try {
      text = fs.readFileSync(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const live = text.split('\n').flatMap((line): [string, number][] => {
      const [at, signature] = line.split(' ');
      const expiresAtMs = Number(at);
      return signature && /^v0=[0-9a-f]{64}$/.test(signature) && expiresAtMs > now
        ? [[signature, expiresAtMs]]
        : [];
    });
    this.#rewrite(live);
    this.#stream = this.#open();
    return live;
  }

  append(signature: string, expiresAtMs: number): void {
    if (this.#closed) return;
    this.#batch.push(`${expiresAtMs} ${signature}\n`);
    this.#lines += 1;
    // One write per 200 ms at most: under a burst, a write per request would cost more than
    // the requests themselves. A crash may lose that much; replays across one are unlikely.
    if (this.#batch.length === 1) setTimeout(() => this.#flush(), 200).unref();
  }

  /** Rewrites the file with the live entries once it holds mostly expired ones. */
  compact(live: Map<string, number>): void {
    const stream = this.#stream;
    if (!stream || this.#lines < 1000 || this.#lines < 2 * live.size) return;
    this.#stream = null;
    this.#rewriting = [...live]; // every line written so far and those still batched
    this.#batch = [];
    stream.end(() => {
      if (this.#closed || !this.#rewriting) return; // close() did it
      try {
        this.#rewrite(this.#rewriting);
      } catch (error) {
        report(error);
      }
      this.#rewriting = null;
      this.#stream = this.#open();
      this.#flush();
    });
  }

  /** Writes everything synchronously (the process may exit right after). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#rewriting) this.#rewrite(this.#rewriting); // a compaction had not finished
      this.#rewriting = null;
      if (this.#batch.length > 0) fs.appendFileSync(this.#path, this.#batch.join(''), { mode: 0o600 });
    } catch (error) {
      report(error);
    }
    this.#batch = [];
    this.#stream?.end();
    this.#stream = null;
  }

  #flush(): void {
    if (this.#closed || !this.#stream || this.#batch.length === 0) return;
    this.#stream.write(this.#batch.join(''));
    this.#batch = [];
  }

  #open(): fs.WriteStream {
    return fs.createWriteStream(this.#path, { flags: 'a', mode: 0o600 }).on('error', report);
  }

  #rewrite(entries: [string, number][]): void {
    const temporary = `${this.#path}.tmp`;
    fs.writeFileSync(temporary, entries.map(([signature, at]) => `${at} ${signature}\n`).join(''), {
      mode: 0o600,
    });
    fs.renameSync(temporary, this.#path);
    this.#lines = entries.length;
  }
}

/** A journal that cannot be written costs replay memory across restarts, not the service. */
function report(error: unknown): void {
  process.stderr.write(
    `${JSON.stringify({ level: 'error', message: 'replay journal write failed', error: String(error) })}\n`,
  );
}
