/**
 * `npm run doctor`: checks what mpibox needs, with the settings it would start with: config,
 * the data folder, Slack auth (auth.test), Azure credentials and quota, and for the local
 * provider OpenSSH, Open MPI and Perl. Prints each check with ✓/✗ and how to fix what fails;
 * exits 1 when anything fails.
 */
import { loadConfig, type Config } from '../src/config/config.ts';
import { dataDirCheck, formatResults, localToolChecks, runChecks, type Check } from '../src/doctor/checks.ts';

const env = process.env;
const loaded = loadConfig(env, process.cwd());
const checks: { name: string; run: Check }[] = [
  {
    name: 'configuration',
    run: async () =>
      loaded.ok
        ? { name: 'configuration', ok: true, detail: describe(loaded.config), fix: null }
        : {
            name: 'configuration',
            ok: false,
            detail: loaded.message.replace(/^mpibox: /, ''),
            fix: 'fix the settings above (README, Configuration)',
          },
  },
];
if (loaded.ok) checks.push({ name: 'data folder', run: dataDirCheck(loaded.config.dataDir) });
if (!loaded.ok || !loaded.config.azure)
  for (const run of localToolChecks(env)) checks.push({ name: 'local tools', run });
if (loaded.ok && loaded.config.surface.kind !== 'console')
  checks.push({ name: 'Slack', run: slackCheck(loaded.config) });
if (loaded.ok && loaded.config.azure) checks.push(...azureChecks(loaded.config));
if (loaded.ok && loaded.config.archive.blob)
  checks.push({ name: 'log archive', run: blobCheck(loaded.config) });

const results = await runChecks(checks);
process.stdout.write(`${formatResults(results)}\n`);
const failed = results.filter((result) => !result.ok).length;
process.stdout.write(failed === 0 ? '\nAll checks passed.\n' : `\n${failed} check(s) failed.\n`);
process.exit(failed === 0 ? 0 : 1);

function describe(config: Config): string {
  const surface =
    config.surface.kind === 'console' ? 'console' : `Slack (${config.surface.kind.replace('slack-', '')})`;
  return `${config.azure ? `Azure (${config.azure.location})` : 'local provider'}, ${surface}`;
}

/** Blob Storage answers with these credentials: a read of a log that does not exist (a 404 is fine). */
function blobCheck(config: Config): Check {
  return async () => {
    const blob = config.archive.blob!;
    const archiveModule = await import('../src/adapters/archive/blob-job-archive.ts');
    const { SystemClock } = await import('../src/adapters/system/system-clock.ts');
    const { JsonLogger } = await import('../src/adapters/system/json-logger.ts');
    const options = { clock: new SystemClock(), logger: new JsonLogger('error'), maxAttempts: 1 };
    const where = 'connectionString' in blob ? 'the connection string' : blob.accountUrl;
    try {
      const archive =
        'connectionString' in blob
          ? archiveModule.blobJobArchiveFromConnectionString(blob.connectionString, options)
          : archiveModule.blobJobArchiveFromAccountUrl(
              blob.accountUrl,
              new (await import('@azure/identity')).DefaultAzureCredential(),
              options,
            );
      await archive.size({
        team: config.archive.team,
        clusterName: 'doctor',
        clusterId: 'doctor-000000',
        jobId: 1,
      });
      return { name: 'log archive', ok: true, detail: `Blob Storage answers (${where})`, fix: null };
    } catch (error) {
      return {
        name: 'log archive',
        ok: false,
        detail: `Blob Storage refused or did not answer (${where}): ${(error as Error).message.split('\n')[0]}`,
        fix:
          'connectionString' in blob
            ? 'check AZURE_STORAGE_CONNECTION_STRING (Storage account → Access keys)'
            : "give the bot's identity the role Storage Blob Data Contributor on the account, and check AZURE_STORAGE_ACCOUNT_URL",
      };
    }
  };
}

function slackCheck(config: Config): Check {
  return async () => {
    if (config.surface.kind === 'console') throw new Error('no Slack settings');
    const { WebClient } = await import('@slack/web-api');
    const client = new WebClient(config.surface.botToken, {
      ...(config.surface.apiUrl ? { slackApiUrl: config.surface.apiUrl } : {}),
      retryConfig: { retries: 1 },
      timeout: 15_000,
    });
    try {
      const answer = await client.auth.test();
      return {
        name: 'Slack',
        ok: true,
        detail: `bot ${answer.user ?? '?'} in ${answer.team ?? '?'}`,
        fix: null,
      };
    } catch (error) {
      const code = (error as { data?: { error?: string } }).data?.error ?? (error as Error).message;
      return {
        name: 'Slack',
        ok: false,
        detail: `auth.test failed: ${code}`,
        fix: 'check SLACK_BOT_TOKEN (Slack app → OAuth & Permissions → Bot User OAuth Token, xoxb-…) and that the app is installed',
      };
    }
  };
}

function azureChecks(config: Config): { name: string; run: Check }[] {
  const azure = config.azure!;
  const clients = import('../src/providers/azure/azure-clients.ts').then(async ({ makeAzureClients }) => {
    const { DefaultAzureCredential } = await import('@azure/identity');
    const credential = new DefaultAzureCredential();
    return {
      credential,
      clients: makeAzureClients({
        credential,
        subscriptionId: azure.subscriptionId,
        endpoint: azure.resourceManagerEndpoint,
      }),
    };
  });
  const scope = `${azure.resourceManagerEndpoint.replace(/\/$/, '')}/.default`;
  return [
    {
      name: 'Azure credentials',
      run: async () => {
        const { credential } = await clients;
        try {
          await credential.getToken(scope);
          return {
            name: 'Azure credentials',
            ok: true,
            detail: `a token for ${azure.resourceManagerEndpoint}`,
            fix: null,
          };
        } catch (error) {
          return {
            name: 'Azure credentials',
            ok: false,
            detail: (error as Error).message.split('\n')[0] ?? 'no credential',
            fix: 'give the bot an identity DefaultAzureCredential finds: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, a managed identity, or `az login` (README, Running on Azure)',
          };
        }
      },
    },
    {
      name: 'Azure quota',
      run: async () => {
        const { VM_SIZES } = await import('../src/providers/azure/vm-sizes.ts');
        const size = VM_SIZES[azure.vmSize];
        const { clients: arm } = await clients;
        const usages = [];
        for await (const usage of arm.compute.usage.list(azure.location)) usages.push(usage);
        const family = usages.find((usage) => usage.name.value === size?.family);
        if (!size || !family)
          return {
            name: 'Azure quota',
            ok: true,
            detail: `${usages.length} quotas listed in ${azure.location}`,
            fix: null,
          };
        const free = family.limit - family.currentValue;
        const nodes = Math.floor(free / size.vCpus);
        return {
          name: 'Azure quota',
          ok: nodes >= 1,
          detail: `${free} of ${family.limit} vCPUs of ${family.name.localizedValue ?? size.family} free in ${azure.location}: room for ${nodes} × ${azure.vmSize}`,
          fix:
            nodes >= 1
              ? null
              : 'ask for more quota (Azure portal → Quotas → Compute), or pick another AZURE_VM_SIZE or AZURE_LOCATION',
        };
      },
    },
  ];
}
