import { describe, expect, it } from 'vitest';
import { makeHarness, snapshot } from '../../test/fakes/harness.ts';

// Issue 8, point 6: answers that were wrong or misleading. Each runs with `demo` (2 × local)
// already up in C1 and must give exactly this sentence and change nothing but the audit log.
const ANSWERS: [input: string, answer: string][] = [
  [
    '/mpi up 2 demo --spot',
    'A cluster named `demo` already exists in this channel with 2 × local (not spot), not the ' +
      '2 × local (spot) you asked for; nothing was changed. Use `/mpi down demo` first to replace it, ' +
      'or pick another name.',
  ],
  [
    '/mpi up 1 demo',
    'A cluster named `demo` already exists in this channel with 2 × local, not the 1 × local you ' +
      'asked for; nothing was changed. Use `/mpi resize demo 1` to change its node count, ' +
      '`/mpi down demo` first to replace it, or pick another name.',
  ],
  [
    `/mpi up ${'9'.repeat(400)} demo`,
    `Node count \`${'9'.repeat(39)}…\` is more than the maximum of 16 nodes per cluster.`,
  ],
  [
    `/mpi up ${'9'.repeat(400)}`,
    `Node count \`${'9'.repeat(39)}…\` is more than the maximum of 16 nodes per cluster.`,
  ],
  [
    '/mpi up 2 de\u00admo',
    'The command contains an invisible or control character (U+00AD) in `de\\u00ADmo`; please retype it.',
  ],
  [
    '/mpi up 2 demo\ufeff',
    'The command contains an invisible or control character (U+FEFF) in `demo\\uFEFF`; please retype it.',
  ],
];

describe('Dispatcher answers', () => {
  it.each(ANSWERS)('answers %j with the right sentence and changes nothing', async (input, answer) => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 2 demo');
    const before = snapshot(h.store, ['UALICE'], ['C1']);
    const auditBefore = h.store.listAudit(1000).length;

    const reply = await h.run('UALICE', input);

    expect(reply.visibility).toBe('ephemeral');
    expect(reply.message.text.split('\n\n')[0]).toBe(answer);
    expect(reply.message.text).not.toMatch(/Infinity|another channel/);
    expect(snapshot(h.store, ['UALICE'], ['C1'])).toBe(before);
    expect(h.store.listAudit(1000)).toHaveLength(auditBefore + 1);
    expect(h.store.listAudit(1)[0]?.result).not.toBe('ok');
  });

  it('still answers the very same up with the existing card', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 2 demo');
    const before = snapshot(h.store, ['UALICE'], ['C1']);

    const reply = await h.run('UALICE', '/mpi up 2 demo');

    expect(reply.message.text).toMatch(/^Cluster demo is ready: 2 nodes/);
    expect(snapshot(h.store, ['UALICE'], ['C1'])).toBe(before);
  });
});
