import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReplayGuard, SKEW_IN_MS } from './replay-guard.ts';

const sig = (char: string) => `v0=${char.repeat(64)}`;
const MINUTE_IN_MS = 60_000;

describe('ReplayGuard', () => {
  it('admits a genuine signature once, refuses it while its timestamp is honoured, then forgets it', () => {
    let now = 1_000_000_000;
    const guard = new ReplayGuard(() => now, { windowInMs: 5 * MINUTE_IN_MS });
    const timestamp = String(now / 1000);

    guard.admit(sig('a'), timestamp)?.accepted();
    const replay = guard.admit(sig('a'), timestamp);
    const other = guard.admit(sig('b'), timestamp);
    now += 5 * MINUTE_IN_MS + 1;
    const stale = guard.admit(sig('a'), timestamp); // refused as too old now
    now += SKEW_IN_MS + 999; // (whole seconds again)
    const forgotten = guard.admit(sig('a'), String(now / 1000)); // (a fresh stamp: memory alone)

    expect([replay, other !== null, stale, forgotten !== null]).toEqual([null, true, null, true]);
  });

  it('refuses a timestamp more than a minute ahead of its clock, or not whole seconds in digits', () => {
    const now = 1_000_000_000;
    const guard = new ReplayGuard(() => now);
    const refused = [
      String(now / 1000 + 3600), // an hour ahead
      String(now / 1000 + 61),
      '99999999999',
      'Infinity',
      '-Infinity',
      'NaN',
      '1e6',
      `${now / 1000}.5`,
      ` ${now / 1000}`,
      '-1',
      '',
      undefined,
    ];

    const admitted = refused.map((timestamp, index) => guard.admit(sig(index.toString(16)), timestamp));
    const justAhead = guard.admit(sig('e'), String(now / 1000 + 60));
    const justInWindow = guard.admit(sig('f'), String(now / 1000 - 300));
    const tooOld = guard.admit(sig('f'), String(now / 1000 - 301));

    expect(admitted).toEqual(refused.map(() => null));
    expect([justAhead !== null, justInWindow !== null, tooOld]).toEqual([true, true, null]);
  });

  it('refuses the replay of a request stamped an hour ahead now and seven minutes later alike', () => {
    let now = 1_000_000_000;
    const guard = new ReplayGuard(() => now);
    const timestamp = String(now / 1000 + 3600);

    const first = guard.admit(sig('1'), timestamp);
    first?.accepted();
    now += 7 * MINUTE_IN_MS;
    const later = guard.admit(sig('1'), timestamp);

    expect([first, later]).toEqual([null, null]);
  });

  it('keeps a signature for as long as any timestamp it may carry is honoured', () => {
    // Every admissible stamp, from the oldest honoured to the furthest ahead, and a replay of
    // each every ten seconds until its timestamp is refused as too old.
    const start = 2_000_000_000;
    const offsetsInS = [-300, -200, -1, 0, 1, 30, 59, 60];
    let now = start;
    const guard = new ReplayGuard(() => now);
    const stamps = offsetsInS.map((offset, index) => ({
      signature: sig(String(index)),
      timestamp: String(start / 1000 + offset),
    }));
    for (const { signature, timestamp } of stamps) guard.admit(signature, timestamp)?.accepted();

    const replaysAdmitted: string[] = [];
    for (; now <= start + 10 * MINUTE_IN_MS; now += 10_000) {
      for (const { signature, timestamp } of stamps)
        if (guard.admit(signature, timestamp) !== null) replaysAdmitted.push(`${timestamp} at ${now}`);
    }

    expect(replaysAdmitted).toEqual([]);
  });

  it('refuses a replay racing the original while it is still being checked', () => {
    const guard = new ReplayGuard(() => 0);

    const original = guard.admit(sig('c'), '0');
    const racing = guard.admit(sig('c'), '0');
    original?.accepted();

    expect(original).not.toBeNull();
    expect(racing).toBeNull();
  });

  it('forgets rejected signatures, so junk never pushes a genuine one out', () => {
    const guard = new ReplayGuard(() => 0);
    guard.admit(sig('d'), '0')?.accepted();

    for (let index = 0; index < 200_000; index += 1) {
      guard.admit(`v0=${index.toString(16).padStart(64, '0')}`, '0')?.rejected();
    }
    const junkAgain = guard.admit(`v0=${'0'.repeat(64)}`, '0');

    expect(guard.admit(sig('d'), '0')).toBeNull();
    expect(junkAgain).not.toBeNull(); // a rejected signature is not held against a later try
  });

  it('refuses missing and oddly spelled signatures (a replay in disguise)', () => {
    const guard = new ReplayGuard(() => 0);
    const hash = 'c'.repeat(64);

    expect(guard.admit(`v0=${hash}`, '0')).not.toBeNull();
    expect([
      guard.admit(undefined, '0'),
      guard.admit(`v0=${hash}=x`, '0'),
      guard.admit(`v0=${hash.toUpperCase()}`, '0'),
    ]).toEqual([null, null, null]);
  });

  it('rewrites its journal without the expired signatures once they are most of it', async () => {
    const journalPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-replay-')), 'signatures');
    let now = 50_000_000;
    const guard = new ReplayGuard(() => now, { journalPath, windowInMs: 1000 });
    for (let index = 0; index < 1500; index += 1) {
      guard.admit(`v0=${index.toString(16).padStart(64, '0')}`, String(now / 1000))?.accepted();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = fs.readFileSync(journalPath, 'utf8').trim().split('\n').length;

    now += 120_000; // all of them expired
    guard.admit(sig('9'), String(now / 1000))?.accepted(); // the sweep compacts
    guard.admit(sig('8'), String(now / 1000))?.accepted(); // written while it does
    await new Promise((resolve) => setTimeout(resolve, 300));
    const restarted = new ReplayGuard(() => now, { journalPath, windowInMs: 1000 });

    guard.close();
    expect(before).toBe(1500);
    expect(fs.readFileSync(journalPath, 'utf8').trim().split('\n').length).toBeLessThanOrEqual(2);
    expect([
      restarted.admit(sig('9'), String(now / 1000)),
      restarted.admit(sig('8'), String(now / 1000)),
    ]).toEqual([null, null]);
  });

  it('loses nothing when stopped in the middle of a compaction', () => {
    const journalPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-replay-')), 'signatures');
    let now = 60_000_000;
    const guard = new ReplayGuard(() => now, { journalPath, windowInMs: 1000 });
    for (let index = 0; index < 1500; index += 1) {
      guard.admit(`v0=${index.toString(16).padStart(64, '0')}`, String(now / 1000))?.accepted();
    }
    guard.close(); // (written synchronously)
    const reopened = new ReplayGuard(() => now, { journalPath, windowInMs: 1000 });
    reopened.admit(sig('4'), String(now / 1000 + 60))?.accepted(); // batched, not yet written; lives 2 min
    now += 120_000; // the 1,500 expired
    reopened.admit(sig('7'), String(now / 1000))?.accepted(); // its sweep starts a compaction

    reopened.close(); // before the compaction could finish: the process may exit right now
    const restarted = new ReplayGuard(() => now, { journalPath, windowInMs: 1000 });

    // (Fresh stamps: only the journal can make the guard refuse them.)
    expect([
      restarted.admit(sig('4'), String(now / 1000)),
      restarted.admit(sig('7'), String(now / 1000)),
    ]).toEqual([null, null]);
  });

  it('drops a journal line that claims to live far beyond the window (it would stall the sweep)', () => {
    const journalPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-replay-')), 'signatures');
    const now = 70_000_000;
    fs.writeFileSync(journalPath, `${now + 10 ** 12} ${sig('3')}\n${now + 100_000} ${sig('2')}\n`);

    const guard = new ReplayGuard(() => now, { journalPath });

    expect(guard.admit(sig('3'), String(now / 1000))).not.toBeNull();
    expect(guard.admit(sig('2'), String(now / 1000))).toBeNull();
  });

  it('remembers genuine signatures across a restart through its journal, and drops expired ones', async () => {
    const journalPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-replay-')), 'signatures');
    let now = 10_000_000;
    const first = new ReplayGuard(() => now, { journalPath });
    first.admit(sig('e'), String(now / 1000))?.accepted();
    first.admit(sig('f'), String((now - 290_000) / 1000))?.accepted(); // nearly expired
    first.close(); // a clean stop writes what is batched

    now += 120_000;
    const restarted = new ReplayGuard(() => now, { journalPath });

    expect(restarted.admit(sig('e'), String((now - 120_000) / 1000))).toBeNull();
    expect(restarted.admit(sig('f'), String(now / 1000))).not.toBeNull(); // forgotten (a fresh stamp)
    expect(fs.readFileSync(journalPath, 'utf8').trim().split('\n')).toHaveLength(1); // rewritten live-only
    expect(fs.statSync(journalPath).mode & 0o777).toBe(0o600);
  });
});
