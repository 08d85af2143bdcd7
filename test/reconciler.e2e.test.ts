import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BotProcess } from './support/bot-process.ts';
import {
  makeTempDir,
  pidsWithCommandLine,
  pidsWithEnvironmentContaining,
  testBasePort,
} from './support/local-fixtures.ts';

describe('console bot: the reconciler at start-up', () => {
  it('prints a cluster the store does not know (its database lost) as an orphan, and an admin deletes it', async () => {
    const dataDir = makeTempDir('mpibox-e2e-orphan');
    const env = { MPIBOX_DATA_DIR: dataDir, MPIBOX_LOCAL_BASE_PORT: String(testBasePort(41)) };
    const first = new BotProcess(env);
    first.send('/mpi up 2 stray');
    await first.waitFor(/Cluster stray is ready: 2 nodes/);
    first.child.kill('SIGKILL');
    await first.exited;
    // The nodes live on; the bot's memory of them does not.
    for (const file of fs.readdirSync(dataDir).filter((name) => name.startsWith('mpibox.db')))
      fs.rmSync(path.join(dataDir, file));

    const second = new BotProcess({ ...env, MPIBOX_ADMINS: 'tester' });
    const [report] = await second.waitFor(/== Orphaned cluster on local: stray ==\n.*\n.*/);
    const clusterId = /Cluster id: (stray-[0-9a-f]{6})/.exec(report)?.[1] ?? '';
    second.send(`/mpi down ${clusterId} --yes`);
    await second.waitFor(/stray \(.*\): deleted by @tester\./);

    expect(await second.end(), second.stderr).toBe(0);
    expect(report).toMatch(
      new RegExp(`Resource: ${dataDir}/clusters/${clusterId} \\| Cluster id: ${clusterId} \\| Age: `),
    );
    expect(report).toMatch(/Nodes: 2 × local \| Cost per hour: not known yet/);
    expect(second.stdout.match(/== Orphaned cluster/g)).toHaveLength(1);
    expect(fs.existsSync(path.join(dataDir, 'clusters', clusterId))).toBe(false);
    expect(pidsWithEnvironmentContaining(dataDir)).toEqual([]);
    expect(pidsWithCommandLine(dataDir)).toEqual([]);
  });
});
