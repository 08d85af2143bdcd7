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

  it('refuses Slack or Azure settings it cannot use yet, without echoing the secret', () => {
    const result = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-123-456-secretvalue' }, '/x');

    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toMatch(/not available in this build/);
    expect(result.ok ? '' : result.message).not.toContain('secretvalue');
  });
});
