import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReplayGuard } from './replay-guard.ts';

const sig = (char: string) => `v0=${char.repeat(64)}`;

describe('ReplayGuard', () => {
  it('admits a genuine signature once until its timestamp is past the window, then again', () => {
    let now = 1_000_000;
    const guard = new ReplayGuard(() => now, { windowInMs: 300_000 });
    const timestamp = String(now / 1000);

    guard.admit(sig('a'), timestamp)?.accepted();
    const replay = guard.admit(sig('a'), timestamp);
    const other = guard.admit(sig('b'), timestamp);
    now += 300_000 + 60_000 + 1; // Bolt refuses the timestamp by now, with skew to spare
    const afterWindow = guard.admit(sig('a'), timestamp);

    expect([replay, other !== null, afterWindow !== null]).toEqual([null, true, true]);
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
    reopened.admit(sig('4'), '99999999999')?.accepted(); // batched, not yet written; lives 2 min
    now += 120_000; // the 1,500 expired
    reopened.admit(sig('7'), String(now / 1000))?.accepted(); // its sweep starts a compaction

    reopened.close(); // before the compaction could finish: the process may exit right now
    const restarted = new ReplayGuard(() => now, { journalPath, windowInMs: 1000 });

    expect([restarted.admit(sig('4'), '99999999999'), restarted.admit(sig('7'), String(now / 1000))]).toEqual(
      [null, null],
    );
  });

  it('drops a journal line that claims to live far beyond the window (it would stall the sweep)', () => {
    const journalPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-replay-')), 'signatures');
    const now = 70_000_000;
    fs.writeFileSync(journalPath, `${now + 10 ** 12} ${sig('3')}\n${now + 100_000} ${sig('2')}\n`);

    const guard = new ReplayGuard(() => now, { journalPath });

    expect(guard.admit(sig('3'), String(now / 1000))).not.toBeNull();
    expect(guard.admit(sig('2'), String(now / 1000))).toBeNull();
  });

  it('keeps a far-future timestamp no longer than its window from now', () => {
    let now = 1_000_000;
    const guard = new ReplayGuard(() => now, { windowInMs: 300_000 });

    guard.admit(sig('5'), '99999999999')?.accepted();
    now += 300_000 + 2 * 60_000 + 1;

    expect(guard.admit(sig('5'), '99999999999')).not.toBeNull();
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
    expect(restarted.admit(sig('f'), String((now - 410_000) / 1000))).not.toBeNull();
    expect(fs.readFileSync(journalPath, 'utf8').trim().split('\n')).toHaveLength(1); // rewritten live-only
    expect(fs.statSync(journalPath).mode & 0o777).toBe(0o600);
  });
});
