import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, snapshot } from '../../test/fakes/harness.ts';
import { makeTempDir } from '../../test/support/local-fixtures.ts';

const keyDir = makeTempDir('mpibox-dispatcher-keys');
function keyPair(name: string, args: string[]): { publicLine: string; privateText: string } {
  const file = path.join(keyDir, name);
  execFileSync('ssh-keygen', ['-q', ...args, '-N', '', '-C', 'alice@laptop', '-f', file]);
  return {
    publicLine: fs.readFileSync(`${file}.pub`, 'utf8').trim(),
    privateText: fs.readFileSync(file, 'utf8'),
  };
}

describe('Dispatcher', () => {
  let ed25519: { publicLine: string; privateText: string };
  let rsa1024: { publicLine: string; privateText: string };
  let pem: { publicLine: string; privateText: string };

  beforeAll(() => {
    ed25519 = keyPair('ed', ['-t', 'ed25519']);
    rsa1024 = keyPair('rsa1024', ['-t', 'rsa', '-b', '1024']);
    pem = keyPair('pem', ['-t', 'rsa', '-b', '2048', '-m', 'PEM']);
  });

  // Each bad input must get a clear, short error and change nothing but the audit log.
  const badInputs: [label: string, text: () => string, expected: RegExp][] = [
    ['unknown verb', () => '/mpi upp 2', /unknown command/i],
    ['another unknown verb', () => '/mpi destroy demo', /unknown command/i],
    ['uppercase verb', () => '/mpi UP 2', /unknown command/i],
    ['verb with shell', () => '/mpi $(reboot)', /unknown command/i],
    ['negative nodes', () => '/mpi up -2 demo', /node/i],
    ['zero nodes', () => '/mpi up 0 demo', /node/i],
    ['huge nodes', () => '/mpi up 100000 demo', /node/i],
    ['over max nodes', () => '/mpi up 17 demo', /16/],
    ['float nodes', () => '/mpi up 2.5 demo', /node/i],
    ['hex nodes', () => '/mpi up 0x10 demo', /node/i],
    ['exponent nodes', () => '/mpi up 1e2 demo', /node/i],
    ['word nodes', () => '/mpi up two demo', /node/i],
    ['missing nodes', () => '/mpi up', /node/i],
    ['emoji nodes', () => '/mpi up 🚀 demo', /node/i],
    ['semicolon in name', () => '/mpi up 2 demo;rm', /name/i],
    ['subshell name', () => '/mpi up 2 $(id)', /name/i],
    ['backtick name', () => '/mpi up 2 `id`', /name/i],
    ['pipe name', () => '/mpi up 2 a|b', /name/i],
    ['ampersand name', () => '/mpi up 2 a&&b', /name/i],
    ['redirect name', () => '/mpi up 2 a>b', /name/i],
    ['uppercase name', () => '/mpi up 2 Demo', /name/i],
    ['unicode name', () => '/mpi up 2 démo', /name/i],
    ['cyrillic homoglyph name', () => '/mpi up 2 dеmo', /name/i],
    ['name too short', () => '/mpi up 2 a', /name/i],
    ['name too long', () => `/mpi up 2 a${'b'.repeat(31)}`, /name/i],
    ['name starts with digit', () => '/mpi up 2 1demo', /name/i],
    ['name starts with dash', () => '/mpi up 2 -demo', /./],
    ['unknown flag', () => '/mpi up 2 demo --force', /--force/],
    ['size without value', () => '/mpi up 2 demo --size', /size/i],
    ['bad size chars', () => '/mpi up 2 demo --size Std;rm', /size/i],
    ['extra argument', () => '/mpi up 2 demo extra', /extra/],
    ['resize without nodes', () => '/mpi resize demo', /node/i],
    ['resize bad count', () => '/mpi resize demo -1', /node/i],
    ['down extra', () => '/mpi down demo now', /now/],
    ['key add nothing', () => '/mpi key add', /key/i],
    ['key add garbage', () => '/mpi key add hello world', /key/i],
    ['key add truncated', () => `/mpi key add ${ed25519.publicLine.slice(0, 40)}`, /key/i],
    ['key add bad base64', () => '/mpi key add ssh-ed25519 AAAA!!!!', /base64|key/i],
    ['key add rsa 1024', () => `/mpi key add ${rsa1024.publicLine}`, /2048|small|weak/i],
    ['key add dss', () => '/mpi key add ssh-dss AAAAB3NzaC1kc3MAAACBAP== x', /dss|weak|DSA/i],
    ['key add with options', () => `/mpi key add command="rm -rf ~" ${ed25519.publicLine}`, /option/i],
    [
      'key add unicode comment',
      () => `/mpi key add ${ed25519.publicLine.split(' ').slice(0, 2).join(' ')} ålice`,
      /comment/i,
    ],
    [
      'key add shell comment',
      () => `/mpi key add ${ed25519.publicLine.split(' ').slice(0, 2).join(' ')} $(id)`,
      /comment/i,
    ],
    ['openssh private key', () => `/mpi key add ${ed25519.privateText}`, /PRIVATE key/],
    ['pem private key', () => `/mpi key add ${pem.privateText}`, /PRIVATE key/],
    ['private key header only', () => '/mpi key add -----BEGIN OPENSSH PRIVATE KEY-----', /PRIVATE key/],
    ['key rm bad fingerprint', () => '/mpi key rm MD5:aa:bb', /fingerprint/i],
    ['key unknown subcommand', () => '/mpi key delete x', /key/i],
    ['control characters', () => '/mpi up 2 de\u0000mo', /./],
    ['resize of unknown cluster', () => '/mpi resize nosuch 2', /no cluster `nosuch`/],
    ['down of unknown cluster', () => '/mpi down nosuch --yes', /no cluster `nosuch`/],
    ['spot on local', () => '/mpi up 2 spotty --spot', /Spot nodes are an Azure feature/],
    ['unknown size', () => '/mpi up 2 sized --size Standard_HB120rs_v3', /Unknown node size/],
    ['key rm of a key you do not have', () => '/mpi key rm SHA256:' + 'A'.repeat(43), /no key/],
  ];

  it(`has at least 40 bad inputs (${badInputs.length})`, () => {
    expect(badInputs.length).toBeGreaterThanOrEqual(40);
  });

  it.each(badInputs)('refuses %s clearly and changes nothing', async (_label, text, expected) => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 keep');
    const before = snapshot(h.store, ['UALICE'], ['C1']);
    const auditBefore = h.store.listAudit(1000).length;

    const reply = await h.run('UALICE', text());

    expect(reply.visibility).toBe('ephemeral');
    expect(reply.message.text).toMatch(expected);
    expect(reply.message.text).not.toMatch(/\n\s+at |TypeError|undefined|\[object/);
    expect(snapshot(h.store, ['UALICE'], ['C1'])).toBe(before);
    const audit = h.store.listAudit(1000);
    expect(audit.length).toBe(auditBefore + 1);
    expect(audit[0]?.result).not.toBe('ok');
    expect(audit[0]?.text).not.toMatch(/PRIVATE KEY-----[\s\S]+[A-Za-z0-9+/]{40}/);
  });

  it('never stores or logs a pasted private key, and warns the user', async () => {
    const h = makeHarness();

    const reply = await h.run('UALICE', `/mpi key add ${ed25519.privateText}`);

    const body = ed25519.privateText.split('\n')[1] ?? 'x';
    expect(reply.message.text).toMatch(/NOT stored/);
    expect(reply.message.text).not.toContain(body);
    expect(h.store.listKeys('UALICE')).toEqual([]);
    expect(JSON.stringify(h.store.listAudit(10))).not.toContain(body);
    expect(JSON.stringify(h.logger.lines)).not.toContain(body);
  });

  it('adds, lists and removes keys, pushing them to the channel clusters each time', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    const id = h.store.findLiveClusterByName('demo')?.id ?? '';

    await h.run('UALICE', `/mpi key add ${ed25519.publicLine}`);
    const keysOnCluster = h.provider.clusters.get(id)?.keys;
    const list = await h.run('UALICE', '/mpi key list');
    const fingerprint = h.store.listKeys('UALICE')[0]?.fingerprint ?? '';
    const again = await h.run('UALICE', `/mpi key add ${ed25519.publicLine}`);
    const byBob = await h.run('UBOB', `/mpi key add ${ed25519.publicLine}`);
    await h.run('UALICE', `/mpi key rm ${fingerprint}`);

    expect(keysOnCluster).toEqual([ed25519.publicLine]);
    expect(list.message.text).toContain(fingerprint);
    expect(again.message.text).toMatch(/already registered/);
    expect(byBob.message.text).toMatch(/registered by someone else/);
    expect(h.provider.clusters.get(id)?.keys).toEqual([]);
  });

  it('lets a user’s keys onto a channel’s clusters the first time they use mpibox there', async () => {
    const h = makeHarness();
    await h.run('UBOB', `/mpi key add ${ed25519.publicLine}`, 'C2');
    await h.run('UALICE', '/mpi up 1 demo');
    const id = h.store.findLiveClusterByName('demo')?.id ?? '';
    const before = h.provider.clusters.get(id)?.keys;

    await h.run('UBOB', '/mpi list');

    expect(before).toEqual([]);
    expect(h.provider.clusters.get(id)?.keys).toEqual([ed25519.publicLine]);
  });

  it('answers help and audits every command', async () => {
    const h = makeHarness();

    const help = await h.run('UALICE', '/mpi help');
    await h.run('UALICE', '/mpi list');

    expect(help.message.text).toMatch(/\/mpi up/);
    expect(h.store.listAudit(10).map((row) => [row.text, row.result])).toEqual([
      ['/mpi list', 'ok'],
      ['/mpi help', 'ok'],
    ]);
  });

  it('applies the channel policy to commands and to button clicks alike', async () => {
    const h = makeHarness({ channelPolicy: { C9: { verbs: ['up', 'status', 'list'], maxNodes: 2 } } });
    await h.run('UALICE', '/mpi up 2 demo', 'C9');
    const id = h.store.findLiveClusterByName('demo')?.id ?? '';

    const tooBig = await h.run('UALICE', '/mpi up 3 big', 'C9');
    const down = await h.run('UALICE', '/mpi down demo --yes', 'C9');
    const click = await h.dispatcher.action(h.actor('UALICE', 'C9'), 'cluster-down', id);
    const help = await h.run('UALICE', '/mpi help', 'C9');
    const elsewhere = await h.run('UALICE', '/mpi up 3 free', 'C1');

    expect(tooBig.message.text).toBe('This channel allows at most 2 nodes per cluster; you asked for 3.');
    expect(down.message.text).toMatch(
      /`\/mpi down` is not allowed in this channel \(allowed: up, status, list\)/,
    );
    expect(click.message.text).toMatch(/`\/mpi down` is not allowed/);
    expect(help.message.text).toMatch(/\/mpi up/);
    expect(elsewhere.message.text).toMatch(/Creating cluster `free`/);
    expect(h.store.getCluster(id)?.state).toBe('ready');
  });
});
