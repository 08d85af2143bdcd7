import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  BlobSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
} from '@azure/storage-blob';
import { makeTempDir } from './local-fixtures.ts';

/** One real-looking secret: the text a log call might carry, and what of it must never show. */
export interface SecretSample {
  /** What it is, for failure messages. */
  name: string;
  /** The text as a program would hold it (a token, a URL, a key file). */
  value: string;
  /** Substrings of `value` that are secret: none may appear in any output. */
  secretParts: string[];
  /** Substrings of `value` that are not secret and should survive (a URL's host, say). */
  publicParts: string[];
}

/** The bot's own secrets, the kind main.ts passes to the logger as known values. */
export interface BotSecrets {
  botToken: string;
  appToken: string;
  userToken: string;
  /** 32 hex characters, as Slack issues them. */
  signingSecret: string;
}

const alnum = (length: number) => {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(crypto.randomBytes(length), (byte) => chars[byte % chars.length]).join('');
};
const digits = (length: number) => Array.from(crypto.randomBytes(length), (byte) => byte % 10).join('');

/** Fresh Slack credentials of realistic shape and length. */
export function makeBotSecrets(): BotSecrets {
  return {
    botToken: `xoxb-${digits(13)}-${digits(13)}-${alnum(24)}`,
    appToken: `xapp-1-A0${alnum(9).toUpperCase()}-${digits(13)}-${crypto.randomBytes(32).toString('hex')}`,
    userToken: `xoxp-${digits(13)}-${digits(13)}-${digits(13)}-${crypto.randomBytes(16).toString('hex')}`,
    signingSecret: crypto.randomBytes(16).toString('hex'),
  };
}

/** Base64 lines of a key file's body long enough to be unmistakable (the short last one is not). */
function bodyLines(keyText: string): string[] {
  return keyText.split('\n').filter((line) => !line.startsWith('-----') && line.length >= 16);
}

function pemSample(name: string, value: string): SecretSample {
  return { name, value, secretParts: bodyLines(value), publicParts: [] };
}

/** Private keys: node:crypto PEM (PKCS#1, PKCS#8, SEC1) and ssh-keygen OpenSSH files. */
function keySamples(): SecretSample[] {
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ed25519 = crypto.generateKeyPairSync('ed25519');
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const dir = makeTempDir('mpibox-secret-keys');
  const openssh = (type: string, extra: string[]) => {
    const file = path.join(dir, `id_${type}`);
    execFileSync('ssh-keygen', ['-q', '-t', type, ...extra, '-N', '', '-C', 'alice@laptop', '-f', file]);
    return fs.readFileSync(file, 'utf8');
  };
  const opensshEd25519 = openssh('ed25519', []);
  const opensshRsa = openssh('rsa', ['-b', '2048']);
  fs.rmSync(dir, { recursive: true, force: true });
  const rsaPem = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return [
    pemSample('RSA PKCS#1 PEM', rsaPem),
    pemSample('ed25519 PKCS#8 PEM', ed25519.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    pemSample('EC SEC1 PEM', ec.privateKey.export({ type: 'sec1', format: 'pem' }).toString()),
    pemSample(
      'encrypted PKCS#8 PEM',
      rsa.privateKey
        .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' })
        .toString(),
    ),
    pemSample('OpenSSH ed25519', opensshEd25519),
    pemSample('OpenSSH RSA', opensshRsa),
    // Pasted without its armour, and with its first lines lost.
    pemSample('OpenSSH ed25519 body', bodyLines(opensshEd25519).join('\n')),
    pemSample('RSA PEM body, head cut', bodyLines(rsaPem).slice(3).join('\n')),
    // One long line, as in an environment variable: each of its 64-character stretches is secret.
    { ...pemSample('RSA PEM body on one line', bodyLines(rsaPem).join('')), secretParts: bodyLines(rsaPem) },
  ];
}

/** A SAS made by the Storage SDK itself with a fake account key. */
function sasSamples(): SecretSample[] {
  const accountKey = crypto.randomBytes(64).toString('base64');
  const credential = new StorageSharedKeyCredential('mpiboxlogs', accountKey);
  const sas = generateBlobSASQueryParameters(
    {
      containerName: 'job-logs',
      blobName: 'cl-42/job-7.log',
      permissions: BlobSASPermissions.parse('r'),
      expiresOn: new Date(Date.now() + 3_600_000),
    },
    credential,
  );
  const query = sas.toString();
  const url = `https://mpiboxlogs.blob.core.windows.net/job-logs/cl-42/job-7.log?${query}`;
  const signature = sas.signature;
  const sigParts = [signature, encodeURIComponent(signature)];
  return [
    {
      name: 'SAS URL',
      value: url,
      secretParts: sigParts,
      publicParts: ['mpiboxlogs.blob.core.windows.net/job-logs'],
    },
    { name: 'SAS query string', value: query, secretParts: sigParts, publicParts: [] },
    {
      name: 'storage connection string',
      value: `DefaultEndpointsProtocol=https;AccountName=mpiboxlogs;AccountKey=${accountKey};EndpointSuffix=core.windows.net`,
      secretParts: [accountKey, accountKey.slice(0, 40)],
      publicParts: ['AccountName=mpiboxlogs'],
    },
    {
      name: 'SAS connection string',
      value: `BlobEndpoint=https://mpiboxlogs.blob.core.windows.net/;SharedAccessSignature=${query}`,
      secretParts: sigParts,
      publicParts: ['BlobEndpoint=https://mpiboxlogs.blob.core.windows.net/'],
    },
  ];
}

function bearerSample(): SecretSample {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const jwt = [
    part({ alg: 'RS256', typ: 'JWT', kid: alnum(20) }),
    part({
      aud: 'https://management.azure.com',
      iss: 'https://sts.windows.net/x/',
      oid: crypto.randomUUID(),
    }),
    crypto.randomBytes(256).toString('base64url'),
  ].join('.');
  return {
    name: 'Bearer JWT',
    value: `Bearer ${jwt}`,
    secretParts: [jwt, jwt.split('.')[2]!],
    publicParts: [],
  };
}

/** Every kind of secret the logger must catch, fresh each call. */
export function makeSecretCatalogue(bot: BotSecrets): SecretSample[] {
  const webhook = `https://hooks.slack.com/services/T0${alnum(9)}/B0${alnum(9)}/${alnum(24)}`;
  return [
    { name: 'Slack bot token', value: bot.botToken, secretParts: [bot.botToken], publicParts: [] },
    { name: 'Slack app token', value: bot.appToken, secretParts: [bot.appToken], publicParts: [] },
    { name: 'Slack user token', value: bot.userToken, secretParts: [bot.userToken], publicParts: [] },
    {
      name: 'Slack signing secret',
      value: bot.signingSecret,
      secretParts: [bot.signingSecret],
      publicParts: [],
    },
    {
      name: 'Slack webhook',
      value: webhook,
      secretParts: [webhook.split('/').pop()!],
      publicParts: ['hooks.slack.com'],
    },
    ...keySamples(),
    ...sasSamples(),
    bearerSample(),
  ];
}

/** The secret parts of `samples` found in `text`, as `name: part…` for a failure message. */
export function leaksIn(text: string, samples: readonly SecretSample[]): string[] {
  const found: string[] = [];
  for (const sample of samples) {
    for (const part of sample.secretParts) {
      if (text.includes(part) || text.includes(JSON.stringify(part).slice(1, -1)))
        found.push(`${sample.name}: ${part.slice(0, 24)}…`);
    }
  }
  return found;
}
