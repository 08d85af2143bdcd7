import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUPPORT_DIR } from './support/local-fixtures.ts';

const ROOT = path.resolve(SUPPORT_DIR, '..', '..');
const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
/** Instructions with their continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const of = (keyword: string) => instructions.filter((line) => line.toUpperCase().startsWith(`${keyword} `));

/** `docker build` cannot run here: the image's properties are read from the Dockerfile. */
describe('Dockerfile', () => {
  it('is multi-stage on a pinned Node.js base, the one the tests run on', () => {
    const base = /^ARG NODE_IMAGE=node:(\d+\.\d+\.\d+)-bookworm-slim$/.exec(of('ARG')[0] ?? '')?.[1];
    const pinned = /pinned="([\d.]+)"/.exec(
      fs.readFileSync(path.join(ROOT, 'scripts', 'ensure-node.sh'), 'utf8'),
    )?.[1];

    expect(of('FROM')).toEqual(['FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE}']);
    expect(base).toBe(pinned);
  });

  it('installs production dependencies only and copies them from the build stage', () => {
    expect(of('RUN').some((line) => line.includes('npm ci --omit=dev'))).toBe(true);
    expect(of('COPY')).toContain('COPY --from=build /app/node_modules ./node_modules');
    expect(of('COPY').some((line) => /\btest\b/.test(line))).toBe(false);
  });

  it('runs as a non-root user with the data folder as a volume and a health check on /healthz', () => {
    const users = of('USER');

    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^USER (root|0)(:|$)/);
    expect(instructions.indexOf(users[0]!)).toBeGreaterThan(
      instructions.findIndex((line) => line.startsWith('COPY src')),
    );
    expect(of('VOLUME')).toEqual(['VOLUME ["/data"]']);
    expect(of('HEALTHCHECK')[0]).toMatch(/\/healthz/);
    expect(of('CMD').at(-1)).toBe('CMD ["node", "--disable-warning=ExperimentalWarning", "src/main.ts"]');
  });

  it('bakes in no secret and copies no env file', () => {
    const env = of('ENV').join(' ');

    expect(env).not.toMatch(/TOKEN|SECRET|PASSWORD|CONNECTION_STRING|ACCOUNT_KEY|CLIENT_SECRET/i);
    expect(of('ARG').join(' ')).not.toMatch(/TOKEN|SECRET|PASSWORD|KEY/i);
    expect(of('COPY').some((line) => /\.env\b|bot_ed25519|\.mpibox/.test(line))).toBe(false);
    expect(fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n')).toEqual(
      expect.arrayContaining(['.env', '*.env', '.mpibox', 'node_modules']),
    );
  });
});
