import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('runs in local mode with defaults when no Slack or Azure settings are given', () => {
    const result = loadConfig({ USER: 'alice' }, '/srv/bot');

    expect(result).toEqual({
      ok: true,
      config: expect.objectContaining({
        mode: 'local',
        dataDir: '/srv/bot/.mpibox',
        databasePath: '/srv/bot/.mpibox/mpibox.db',
        maxNodesPerCluster: 16,
        localBasePort: 10106,
        consoleUser: 'alice',
        adminIds: [],
      }),
    });
  });

  it('reads lists and numbers, and treats empty values as unset', () => {
    const result = loadConfig(
      {
        MPIBOX_ADMINS: 'U1, U2,,',
        MPIBOX_MAX_NODES_PER_CLUSTER: '8',
        MPIBOX_LOCAL_BASE_PORT: '',
        MPIBOX_DATA_DIR: '/data',
      },
      '/x',
    );

    expect(result.ok && result.config.adminIds).toEqual(['U1', 'U2']);
    expect(result.ok && result.config.maxNodesPerCluster).toBe(8);
    expect(result.ok && result.config.localBasePort).toBe(10106);
    expect(result.ok && result.config.dataDir).toBe('/data');
  });

  it('reports every problem at once, in one message', () => {
    const result = loadConfig(
      { MPIBOX_MAX_NODES_PER_CLUSTER: 'lots', MPIBOX_LOCAL_BASE_PORT: '80', MPIBOX_LOG_LEVEL: 'loud' },
      '/x',
    );

    expect(result.ok).toBe(false);
    const message = result.ok ? '' : result.message;
    expect(message).toMatch(/MPIBOX_MAX_NODES_PER_CLUSTER/);
    expect(message).toMatch(/MPIBOX_LOCAL_BASE_PORT/);
    expect(message).toMatch(/MPIBOX_LOG_LEVEL/);
    expect(message.split('\n')).toHaveLength(4);
  });

  it('picks the Slack surface from the tokens given, never echoing a secret', () => {
    const http = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1-secretvalue', SLACK_SIGNING_SECRET: 's3cr3t' }, '/x');
    const socket = loadConfig(
      { SLACK_BOT_TOKEN: 'xoxb-1-secretvalue', SLACK_APP_TOKEN: 'xapp-1-secret' },
      '/x',
    );
    const incomplete = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1-secretvalue' }, '/x');
    const wrongPrefix = loadConfig(
      { SLACK_BOT_TOKEN: 'xoxp-user-secretvalue', SLACK_SIGNING_SECRET: 's' },
      '/x',
    );

    expect(http.ok && http.config.surface).toMatchObject({ kind: 'slack-http', port: 3000 });
    expect(socket.ok && socket.config.surface).toMatchObject({ kind: 'slack-socket' });
    expect(incomplete.ok ? '' : incomplete.message).toMatch(/SLACK_SIGNING_SECRET or SLACK_APP_TOKEN/);
    expect(wrongPrefix.ok ? '' : wrongPrefix.message).toMatch(/SLACK_BOT_TOKEN: must start with xoxb-/);
    for (const result of [incomplete, wrongPrefix])
      expect(result.ok ? '' : result.message).not.toContain('secretvalue');
  });

  it('reads a per-channel policy and reports a malformed one', () => {
    const good = loadConfig(
      { MPIBOX_CHANNEL_POLICY: '{"C1":{"verbs":["status","run"],"maxNodes":4}}' },
      '/x',
    );
    const bad = loadConfig({ MPIBOX_CHANNEL_POLICY: '{"C1":{"verbs":"all"}}' }, '/x');
    const notJson = loadConfig({ MPIBOX_CHANNEL_POLICY: '{C1' }, '/x');

    expect(good.ok && good.config.channelPolicy).toEqual({ C1: { verbs: ['status', 'run'], maxNodes: 4 } });
    expect(bad.ok ? '' : bad.message).toMatch(/MPIBOX_CHANNEL_POLICY\.C1\.verbs/);
    expect(notJson.ok ? '' : notJson.message).toMatch(/not valid JSON/);
  });
});
