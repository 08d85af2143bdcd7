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

  it('reads the admin channel for orphan reports (none by default), and refuses what is no channel id', () => {
    const unset = loadConfig({}, '/x');
    const set = loadConfig({ MPIBOX_ADMIN_CHANNEL: 'C0ADMINS' }, '/x');
    const bad = loadConfig({ MPIBOX_ADMIN_CHANNEL: '#admins' }, '/x');

    expect(unset.ok && unset.config.adminChannelId).toBeNull();
    expect(set.ok && set.config.adminChannelId).toBe('C0ADMINS');
    expect(bad).toEqual({ ok: false, message: expect.stringContaining('MPIBOX_ADMIN_CHANNEL') });
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

describe('loadConfig for Azure', () => {
  const SUBSCRIPTION = '00000000-1111-2222-3333-444444444444';

  it('selects Azure by AZURE_SUBSCRIPTION_ID, with the documented defaults', () => {
    const result = loadConfig(
      {
        AZURE_SUBSCRIPTION_ID: SUBSCRIPTION,
        AZURE_LOCATION: 'eastus',
        AZURE_SSH_SOURCE: '203.0.113.0/24, 198.51.100.7/32',
      },
      '/x',
    );

    expect(result.ok && result.config.mode).toBe('azure');
    expect(result.ok && result.config.azure).toEqual({
      subscriptionId: SUBSCRIPTION,
      location: 'eastus',
      vmSize: 'Standard_HB120rs_v3',
      vmSizes: ['Standard_HB120rs_v3'],
      image: { publisher: 'microsoft-dsvm', offer: 'ubuntu-hpc', sku: '2204', version: 'latest' },
      sshSources: ['203.0.113.0/24', '198.51.100.7/32'],
      adminUsername: 'mpiboxadmin',
      jobUsername: 'mpi',
      cloud: 'AzurePublicCloud',
      resourceManagerEndpoint: 'https://management.azure.com',
      spotMaxPricePerHour: -1,
    });
  });

  it('takes the sovereign cloud’s endpoint, or the override', () => {
    const base = {
      AZURE_SUBSCRIPTION_ID: SUBSCRIPTION,
      AZURE_LOCATION: 'usgovvirginia',
      AZURE_SSH_SOURCE: '10.0.0.0/8',
    };

    const gov = loadConfig({ ...base, AZURE_CLOUD: 'AzureUSGovernment' }, '/x');
    const stack = loadConfig({ ...base, AZURE_RESOURCE_MANAGER_ENDPOINT: 'https://127.0.0.1:8443/' }, '/x');

    expect(gov.ok && gov.config.azure?.resourceManagerEndpoint).toBe('https://management.usgovcloudapi.net');
    expect(stack.ok && stack.config.azure?.resourceManagerEndpoint).toBe('https://127.0.0.1:8443');
  });

  it('requires a location and the SSH sources, refuses bad values, and reports them all at once', () => {
    const result = loadConfig(
      {
        AZURE_SUBSCRIPTION_ID: SUBSCRIPTION,
        AZURE_VM_SIZES: 'Standard_HB176rs_v4,hb120',
        AZURE_ADMIN_USERNAME: 'admin',
        AZURE_IMAGE: 'ubuntu',
        AZURE_SPOT_MAX_PRICE: '0',
      },
      '/x',
    );

    const message = result.ok ? '' : result.message;
    expect(message).toMatch(/AZURE_VM_SIZES: "hb120" is not a VM size/);
    expect(message).toMatch(/AZURE_ADMIN_USERNAME: reserved/);
    expect(message).toMatch(/AZURE_IMAGE: publisher:offer:sku:version/);
    expect(message).toMatch(/AZURE_SPOT_MAX_PRICE/);
    const second = loadConfig({ AZURE_SUBSCRIPTION_ID: SUBSCRIPTION, AZURE_SSH_SOURCE: '0.0.0.0/33' }, '/x');
    expect(second.ok ? '' : second.message).toMatch(/AZURE_SSH_SOURCE: "0.0.0.0\/33" is not an IPv4 CIDR/);
    const third = loadConfig({ AZURE_SUBSCRIPTION_ID: SUBSCRIPTION }, '/x');
    expect(third.ok ? '' : third.message).toMatch(
      /AZURE_LOCATION: required[\s\S]*AZURE_SSH_SOURCE: required/,
    );
  });

  it('refuses Azure settings without a subscription rather than ignoring them', () => {
    const result = loadConfig({ AZURE_LOCATION: 'eastus' }, '/x');

    expect(result.ok ? '' : result.message).toMatch(/AZURE_LOCATION: set AZURE_SUBSCRIPTION_ID/);
  });
});
