import fs from 'node:fs';
import path from 'node:path';

/**
 * A stand-in for the Azure CLI: what `az account get-access-token` prints, with the fake's
 * token. DefaultAzureCredential narrowed to AzureCliCredential (AZURE_TOKEN_CREDENTIALS) runs
 * it, so the real credential chain is exercised and nothing probes the metadata address.
 */
export function fakeAzureCli(dir: string, token: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const answer = JSON.stringify({
    accessToken: token,
    expires_on: expires,
    expiresOn: new Date(expires * 1000).toISOString(),
    tokenType: 'Bearer',
  });
  fs.writeFileSync(
    path.join(bin, 'az'),
    `#!/bin/sh\n[ "$1 $2" = "account get-access-token" ] || exit 2\necho '${answer}'\n`,
    { mode: 0o755 },
  );
  return bin;
}
