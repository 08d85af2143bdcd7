import { describe, expect, it } from 'vitest';
import { decideIdle, keepUntil, looksStuck, type IdleDecision, type IdleFacts } from './idle.ts';

const MIN = 60_000;
const policy = { idleTimeoutInMs: 30 * MIN, graceInMs: 10 * MIN };
const facts = (over: Partial<IdleFacts>): IdleFacts => ({
  nowMs: 0,
  busy: false,
  lastActiveAtMs: 0,
  keepUntilMs: null,
  warnedAtMs: null,
  ...over,
});

describe('decideIdle', () => {
  const cases: [string, Partial<IdleFacts>, IdleDecision][] = [
    ['busy: nothing to do', { nowMs: 90 * MIN, busy: true }, { kind: 'busy' }],
    ['idle, not yet 30 min', { nowMs: 29 * MIN }, { kind: 'waiting', warnAtMs: 30 * MIN }],
    ['idle for 30 min: warn', { nowMs: 30 * MIN }, { kind: 'warn', reapAtMs: 40 * MIN }],
    [
      'warned, within grace',
      { nowMs: 39 * MIN, warnedAtMs: 30 * MIN },
      { kind: 'grace', reapAtMs: 40 * MIN },
    ],
    ['warned, grace over: reap', { nowMs: 40 * MIN, warnedAtMs: 30 * MIN }, { kind: 'reap', idleSinceMs: 0 }],
    [
      'warned, then a job: withdraw',
      { nowMs: 35 * MIN, warnedAtMs: 30 * MIN, busy: true },
      { kind: 'withdraw', why: 'activity' },
    ],
    [
      'warned, activity since (a job came and went): withdraw',
      { nowMs: 45 * MIN, warnedAtMs: 30 * MIN, lastActiveAtMs: 33 * MIN },
      { kind: 'withdraw', why: 'activity' },
    ],
    [
      'warned, then kept: withdraw',
      { nowMs: 35 * MIN, warnedAtMs: 30 * MIN, keepUntilMs: 95 * MIN },
      { kind: 'withdraw', why: 'kept' },
    ],
    [
      'kept: the idle clock starts when the keep ends',
      { nowMs: 80 * MIN, keepUntilMs: 60 * MIN },
      { kind: 'waiting', warnAtMs: 90 * MIN },
    ],
    [
      'kept, ended 30 min ago: warn again',
      { nowMs: 90 * MIN, keepUntilMs: 60 * MIN },
      { kind: 'warn', reapAtMs: 100 * MIN },
    ],
    [
      'busy long past the grace: never reaped',
      { nowMs: 500 * MIN, warnedAtMs: 30 * MIN, busy: true },
      { kind: 'withdraw', why: 'activity' },
    ],
  ];

  it.each(cases)('%s', (_name, over, decision) => {
    expect(decideIdle(facts(over), policy)).toEqual(decision);
  });

  it('goes warn → keep → idle again → warn → reap on one timeline', () => {
    const seen: string[] = [];
    let state = facts({});
    for (let minute = 0; minute <= 200; minute += 1) {
      state = { ...state, nowMs: minute * MIN };
      if (minute === 35) state = { ...state, keepUntilMs: 95 * MIN }; // Keep 1 h pressed
      const decision = decideIdle(state, policy);
      if (decision.kind === 'warn') state = { ...state, warnedAtMs: state.nowMs };
      if (decision.kind === 'withdraw') state = { ...state, warnedAtMs: null };
      if (decision.kind !== 'waiting' && decision.kind !== 'grace') seen.push(`${minute} ${decision.kind}`);
      if (decision.kind === 'reap') break;
    }
    expect(seen).toEqual(['30 warn', '35 withdraw', '125 warn', '135 reap']);
  });
});

describe('looksStuck and keepUntil', () => {
  it('calls a job stuck only when both output and CPU stopped long enough', () => {
    const base = { nowMs: 100 * MIN, stuckAfterInMs: 60 * MIN };
    expect(looksStuck({ ...base, lastOutputAtMs: 30 * MIN, lastCpuAtMs: 30 * MIN })).toBe(true);
    expect(looksStuck({ ...base, lastOutputAtMs: 30 * MIN, lastCpuAtMs: 90 * MIN })).toBe(false);
    expect(looksStuck({ ...base, lastOutputAtMs: 90 * MIN, lastCpuAtMs: 30 * MIN })).toBe(false);
  });

  it('caps a keep at the maximum', () => {
    expect(keepUntil(0, 2 * 60 * MIN, 12 * 60 * MIN)).toEqual({ untilMs: 120 * MIN, capped: false });
    expect(keepUntil(0, 48 * 60 * MIN, 12 * 60 * MIN)).toEqual({ untilMs: 720 * MIN, capped: true });
  });
});
