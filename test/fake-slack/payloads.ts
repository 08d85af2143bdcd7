/**
 * Requests Slack sends to an app: slash commands and block actions (form bodies) and Events API
 * envelopes (JSON). Sign the resulting body with `signSlackRequest`. The payload objects are
 * also what Socket Mode envelopes carry (`fake.socket.send`).
 */
import { FAKE_IDENTITY } from './identity.ts';
import { newTriggerId } from './ids.ts';

export interface SlashCommandInput {
  command?: string;
  text?: string;
  user_id: string;
  channel_id: string;
  team_id?: string;
  /** Use `fake.responseUrl()` so replies land in the fake. */
  response_url?: string;
  /** Defaults to a fresh trigger the fake's views.open accepts for 3 seconds. */
  trigger_id?: string;
  user_name?: string;
  channel_name?: string;
}

/** `application/x-www-form-urlencoded` body, fields in the order Slack sends them. */
export function slashCommandBody(input: SlashCommandInput): string {
  return new URLSearchParams(slashCommandPayload(input)).toString();
}

/** The same fields as an object: the payload of a Socket Mode `slash_commands` envelope (all strings). */
export function slashCommandPayload(input: SlashCommandInput): Record<string, string> {
  return {
    token: FAKE_IDENTITY.verificationToken,
    team_id: input.team_id ?? FAKE_IDENTITY.teamId,
    team_domain: FAKE_IDENTITY.teamDomain,
    channel_id: input.channel_id,
    channel_name: input.channel_name ?? 'mpi',
    user_id: input.user_id,
    user_name: input.user_name ?? 'user',
    command: input.command ?? '/mpi',
    text: input.text ?? '',
    api_app_id: FAKE_IDENTITY.appId,
    is_enterprise_install: 'false',
    response_url: input.response_url ?? `https://hooks.slack.com/commands/${FAKE_IDENTITY.teamId}/1/unused`,
    trigger_id: input.trigger_id ?? newTriggerId(),
  };
}

export interface BlockActionInput {
  user_id: string;
  channel_id: string;
  team_id?: string;
  action_id: string;
  value?: string;
  block_id?: string;
  /** The message holding the button, e.g. an entry of `fake.messages(channel)`. */
  message: { ts: string; text?: string; blocks?: unknown[]; threadTs?: string };
  response_url?: string;
  trigger_id?: string;
}

/** The `block_actions` payload object, for tests that want to inspect or tweak it. */
export function blockActionPayload(input: BlockActionInput): Record<string, unknown> {
  const teamId = input.team_id ?? FAKE_IDENTITY.teamId;
  const { ts, text = '', blocks = [], threadTs } = input.message;
  const actionTs = (Date.now() / 1000).toFixed(6);
  return {
    type: 'block_actions',
    user: { id: input.user_id, username: 'user', name: 'user', team_id: teamId },
    api_app_id: FAKE_IDENTITY.appId,
    token: FAKE_IDENTITY.verificationToken,
    container: { type: 'message', message_ts: ts, channel_id: input.channel_id, is_ephemeral: false },
    trigger_id: input.trigger_id ?? newTriggerId(),
    team: { id: teamId, domain: FAKE_IDENTITY.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channel_id, name: 'mpi' },
    message: {
      type: 'message',
      user: FAKE_IDENTITY.botUserId,
      bot_id: FAKE_IDENTITY.botId,
      ts,
      text,
      blocks,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    },
    state: { values: {} },
    response_url: input.response_url ?? `https://hooks.slack.com/actions/${teamId}/1/unused`,
    actions: [
      {
        type: 'button',
        action_id: input.action_id,
        block_id: input.block_id ?? 'actions',
        text: { type: 'plain_text', text: input.action_id, emoji: true },
        ...(input.value === undefined ? {} : { value: input.value }),
        action_ts: actionTs,
      },
    ],
  };
}

/** Form body `payload=<JSON>`, as Slack posts interactions. */
export function blockActionBody(input: BlockActionInput): string {
  return new URLSearchParams({ payload: JSON.stringify(blockActionPayload(input)) }).toString();
}

/**
 * A button click in App Home: the container is the view, and there is no channel, message
 * or `response_url` (the app answers by publishing the view again).
 */
export function homeActionBody(input: {
  user_id: string;
  action_id: string;
  value: string;
  view: { blocks: unknown[] };
  team_id?: string;
}): string {
  const teamId = input.team_id ?? FAKE_IDENTITY.teamId;
  const viewId = `V${input.user_id.slice(1)}HOME`;
  const payload = {
    type: 'block_actions',
    user: { id: input.user_id, username: 'user', name: 'user', team_id: teamId },
    api_app_id: FAKE_IDENTITY.appId,
    token: FAKE_IDENTITY.verificationToken,
    container: { type: 'view', view_id: viewId },
    trigger_id: newTriggerId(),
    team: { id: teamId, domain: FAKE_IDENTITY.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    view: {
      id: viewId,
      team_id: teamId,
      type: 'home',
      blocks: input.view.blocks,
      private_metadata: '',
      callback_id: '',
      state: { values: {} },
      hash: '1.0',
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: null,
      previous_view_id: null,
      root_view_id: viewId,
      app_id: FAKE_IDENTITY.appId,
      external_id: '',
      app_installed_team_id: teamId,
      bot_id: FAKE_IDENTITY.botId,
    },
    actions: [
      {
        type: 'button',
        action_id: input.action_id,
        block_id: 'actions',
        text: { type: 'plain_text', text: input.action_id, emoji: true },
        value: input.value,
        action_ts: (Date.now() / 1000).toFixed(6),
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface AppHomeOpenedInput {
  user_id: string;
  team_id?: string;
  tab?: 'home' | 'messages';
  /** The view currently published for this user, if any. */
  view?: Record<string, unknown>;
}

/** Events API envelope (`event_callback`) carrying an `app_home_opened` event. Send it as JSON. */
export function appHomeOpenedEvent(input: AppHomeOpenedInput): Record<string, unknown> {
  const teamId = input.team_id ?? FAKE_IDENTITY.teamId;
  const nowMs = Date.now();
  return {
    token: FAKE_IDENTITY.verificationToken,
    team_id: teamId,
    api_app_id: FAKE_IDENTITY.appId,
    event: {
      type: 'app_home_opened',
      user: input.user_id,
      channel: `D${input.user_id.slice(1)}`,
      tab: input.tab ?? 'home',
      ...(input.view ? { view: input.view } : {}),
      event_ts: (nowMs / 1000).toFixed(6),
    },
    type: 'event_callback',
    event_id: `Ev${nowMs.toString(36).toUpperCase()}`,
    event_time: Math.floor(nowMs / 1000),
    authorizations: [
      { enterprise_id: null, team_id: teamId, user_id: FAKE_IDENTITY.botUserId, is_bot: true },
    ],
    is_ext_shared_channel: false,
    // Deprecated by Slack in favour of `authorizations`, but the published wrapper schema requires it.
    authed_users: [FAKE_IDENTITY.botUserId],
  };
}
