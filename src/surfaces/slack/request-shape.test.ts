import { describe, expect, it } from 'vitest';
import {
  appHomeOpenedEvent,
  blockActionPayload,
  homeActionBody,
  slashCommandPayload,
} from '../../../test/fake-slack/index.ts';
import { judgeRequest } from './request-shape.ts';

const command = slashCommandPayload({ text: 'status', user_id: 'U1', channel_id: 'C1' });
const click = blockActionPayload({
  user_id: 'U1',
  channel_id: 'C1',
  action_id: 'cluster-down:1',
  value: 'demo',
  message: { ts: '1700000000.000100' },
});
const homeClick: unknown = JSON.parse(
  new URLSearchParams(
    homeActionBody({ user_id: 'U1', action_id: 'cluster-down', value: 'demo', view: { blocks: [] } }),
  ).get('payload') ?? 'null',
);

describe('judgeRequest', () => {
  it('serves what Slack sends for a slash command, a click in a channel or App Home, and App Home opened', () => {
    const verdicts = [
      judgeRequest(command),
      judgeRequest(click),
      judgeRequest(homeClick),
      judgeRequest(appHomeOpenedEvent({ user_id: 'U1' })),
      judgeRequest({ type: 'url_verification', token: 'x', challenge: 'abc' }),
    ];

    expect(verdicts).toEqual([
      { kind: 'serve', isCommand: true },
      { kind: 'serve', isCommand: false },
      { kind: 'serve', isCommand: false },
      { kind: 'serve', isCommand: false },
      { kind: 'serve', isCommand: false },
    ]);
  });

  it('ignores a well-formed event mpibox never subscribed to', () => {
    const uninstalled = { ...appHomeOpenedEvent({ user_id: 'U1' }), event: { type: 'app_uninstalled' } };

    expect(judgeRequest(uninstalled)).toEqual({ kind: 'ignore' });
  });

  it('names the missing or malformed field, never its value', () => {
    const without = (key: string) =>
      Object.fromEntries(Object.entries(command).filter(([name]) => name !== key));

    const problems = [
      judgeRequest(null),
      judgeRequest([]),
      judgeRequest({}),
      judgeRequest(without('user_id')),
      judgeRequest(without('channel_id')),
      judgeRequest({ ...command, user_id: ['U1', 'U2'] }), // a repeated form key
      judgeRequest({ ...command, user_id: 'U1> <!channel' }),
      judgeRequest({ ...command, response_url: 'file:///etc/passwd' }),
      judgeRequest({ ...click, user: undefined }),
      judgeRequest({ ...click, actions: [] }),
      judgeRequest({ ...click, channel: {} }),
      judgeRequest({ type: 'event_callback', event: null }),
      judgeRequest({ type: 'event_callback', event: { type: 'app_home_opened', tab: 'home' } }),
      judgeRequest({ type: 'view_submission' }),
    ].map((verdict) => (verdict.kind === 'malformed' ? verdict.problem : verdict.kind));

    expect(problems).toEqual([
      'not an object',
      'not an object',
      'not a kind of request mpibox serves',
      'user_id: invalid_type',
      'channel_id: invalid_type',
      'user_id: invalid_type',
      'user_id: invalid_format',
      'response_url: invalid_format',
      'user: invalid_type',
      'actions: too_small',
      'channel.id: invalid_type',
      'event: invalid_type',
      'event.user: invalid_type',
      'not a kind of request mpibox serves',
    ]);
  });
});
