import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { specsDir } from './support/specs.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Published upstream contracts (../shared/specs/README.md beside the repository), copied byte-for-byte. */
const SPECS = specsDir('slack');

/**
 * The bot scopes mpibox needs, and nothing more (a workspace admin reads this list on install):
 * - `commands`: receive the `/mpi` slash command.
 * - `chat:write`: post and update cluster cards, job cards and log replies (chat.postMessage,
 *   chat.update), and show one user a private reply (chat.postEphemeral).
 * - `files:write`: attach a job's complete log to its thread when the job ends.
 * The App Home tab (views.publish) and the `app_home_opened` event need no scope of their own.
 */
const BOT_SCOPES = ['chat:write', 'commands', 'files:write'];

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The Slack manifest schema (draft-07) compiled the way Slack's own tooling would read it. */
function manifestValidator() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  // The schema's only `format` is `uri` (on `$schema`). ajv-formats is not a dependency, so the
  // format is registered as accepting anything: every other keyword is still checked.
  ajv.addFormat('uri', true);
  return ajv.compile(readJson(path.join(SPECS, 'manifest.schema.json')) as object);
}

interface Manifest {
  display_information: { background_color?: string };
  features: {
    app_home?: { home_tab_enabled?: boolean };
    slash_commands?: { command: string; usage_hint?: string }[];
  };
  oauth_config: { scopes: { bot?: string[]; user?: string[] } };
  settings: {
    socket_mode_enabled?: boolean;
    interactivity?: { is_enabled: boolean };
    event_subscriptions?: { bot_events?: string[] };
  };
}

function loadManifest(): Manifest {
  return parse(fs.readFileSync(path.join(ROOT, 'manifest.yml'), 'utf8')) as Manifest;
}

describe('manifest.yml', () => {
  it('uses a validator that accepts the upstream valid fixture and rejects the invalid one', () => {
    const validate = manifestValidator();

    const acceptsValid = validate(readJson(path.join(SPECS, 'manifest.v1.valid.json')));
    const acceptsInvalid = validate(readJson(path.join(SPECS, 'manifest.v1.invalid.json')));

    expect(acceptsValid).toBe(true);
    expect(acceptsInvalid).toBe(false);
    expect(validate.errors).toContainEqual(
      expect.objectContaining({
        instancePath: '/settings',
        keyword: 'additionalProperties',
        params: { additionalProperty: 'bad_param' },
      }),
    );
  });

  it('validates against the Slack app manifest schema', () => {
    const validate = manifestValidator();

    const valid = validate(loadManifest());

    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('has a background colour Slack accepts', () => {
    // The schema states this pattern under the non-standard keyword `regex`, which Ajv ignores.
    const manifest = loadManifest();

    expect(manifest.display_information.background_color).toMatch(/^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/);
  });

  it('declares /mpi, Socket Mode, interactivity and the App Home', () => {
    const manifest = loadManifest();

    const mpi = manifest.features.slash_commands?.find((command) => command.command === '/mpi');
    expect(mpi?.usage_hint).toEqual(expect.stringMatching(/\S/));
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.settings.interactivity?.is_enabled).toBe(true);
    expect(manifest.features.app_home?.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions?.bot_events).toContain('app_home_opened');
  });

  it('asks for exactly the bot scopes mpibox uses and no user scopes', () => {
    const manifest = loadManifest();

    const bot = manifest.oauth_config.scopes.bot ?? [];
    expect([...bot].sort()).toEqual(BOT_SCOPES);
    expect(new Set(bot).size).toBe(bot.length);
    expect(manifest.oauth_config.scopes.user ?? []).toEqual([]);
  });
});
