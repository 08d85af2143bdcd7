import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { FAKE_ARM_TOKEN } from './state.ts';
import type { FakeArm } from './types.ts';

/** A TokenCredential that never leaves the process; it remembers the scopes it was asked for. */
export interface FakeTokenCredential extends TokenCredential {
  readonly scopesRequested: string[];
}

/**
 * Issues `token` (the fake's default) for any scope, valid an hour. Injecting this instead of
 * DefaultAzureCredential keeps tests from probing 169.254.169.254 or running `az`.
 */
export function fakeTokenCredential(token = FAKE_ARM_TOKEN): FakeTokenCredential {
  const scopesRequested: string[] = [];
  return {
    scopesRequested,
    async getToken(scopes): Promise<AccessToken> {
      scopesRequested.push(...(Array.isArray(scopes) ? scopes : [scopes]));
      return { token, expiresOnTimestamp: Date.now() + 3_600_000, tokenType: 'Bearer' };
    },
  };
}

/** Client options shared by the ARM SDK clients: endpoint, trust of the fake's certificate, fast retries. */
export interface FakeArmClientOptions {
  endpoint: string;
  tlsOptions: { ca: string };
  retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
}

/**
 * Options for `new ComputeManagementClient(credential, subscriptionId, options)` and the network
 * and resources clients: the fake's URL as `endpoint`, its certificate as the only trusted CA
 * (`tlsOptions.ca`, which core-rest-pipeline turns into an https.Agent), and retry delays of
 * milliseconds instead of seconds for 5xx and 429s without Retry-After.
 *
 * A spawned bot instead gets `AZURE_RESOURCE_MANAGER_ENDPOINT=fake.url` and
 * `NODE_EXTRA_CA_CERTS=fake.certPath`.
 */
export function fakeArmClientOptions(fake: Pick<FakeArm, 'url' | 'certPem'>): FakeArmClientOptions {
  return {
    endpoint: fake.url,
    tlsOptions: { ca: fake.certPem },
    retryOptions: { maxRetries: 3, retryDelayInMs: 10, maxRetryDelayInMs: 100 },
  };
}

/** The three clients mpibox uses, wired to the fake. */
export function fakeArmClients(fake: FakeArm, credential: TokenCredential = fakeTokenCredential(fake.token)) {
  const options = fakeArmClientOptions(fake);
  return {
    credential,
    resources: new ResourceManagementClient(credential, fake.subscriptionId, options),
    network: new NetworkManagementClient(credential, fake.subscriptionId, options),
    compute: new ComputeManagementClient(credential, fake.subscriptionId, options),
  };
}

/** Poll fast: pass as the options of every `begin…AndWait` / poller call against the fake. */
export const FAST_POLL = { updateIntervalInMs: 5 } as const;
