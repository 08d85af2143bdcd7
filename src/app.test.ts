import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '../test/fakes/harness.ts';
import { FakeClock } from '../test/fakes/fake-clock.ts';
import { RecordingChat } from '../test/fakes/recording-chat.ts';
import { makeTempDir } from '../test/support/local-fixtures.ts';
import { buildApp } from './app.ts';
import { loadConfig } from './config/config.ts';

describe('buildApp', () => {
  it('wires the configuration through: channel policy, admins and limits reach the services', async () => {
    const loaded = loadConfig(
      {
        MPIBOX_DATA_DIR: makeTempDir('mpibox-app'),
        MPIBOX_CHANNEL_POLICY: '{"C9":{"verbs":["status","list"]}}',
        MPIBOX_MAX_NODES_PER_CLUSTER: '3',
      },
      '/',
    );
    if (!loaded.ok) throw new Error(loaded.message);
    const app = buildApp(loaded.config, {
      chat: new RecordingChat(),
      clock: new FakeClock(),
      logger: new MemoryLogger(),
    });

    const refused = await app.dispatcher.command(
      { userId: 'U1', displayName: 'u', channelId: 'C9' },
      '/mpi up 1 xy',
    );
    const tooBig = await app.dispatcher.command(
      { userId: 'U1', displayName: 'u', channelId: 'C1' },
      '/mpi up 4 xy',
    );
    app.close();

    expect(refused.message.text).toMatch(/`\/mpi up` is not allowed in this channel/);
    expect(tooBig.message.text).toMatch(/maximum of 3/);
  });
});
