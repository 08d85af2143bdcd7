import type { View } from '@slack/web-api';
import type { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeSlackClient, newTriggerId, slackErrorOf, startFakeSlack, type FakeSlack } from './index.ts';

const USER = 'U0PERSON001';
const home: View = {
  type: 'home',
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Clusters*' } }],
};
const modal: View = {
  type: 'modal',
  title: { type: 'plain_text', text: 'Run a job' },
  submit: { type: 'plain_text', text: 'Run' },
  blocks: [
    { type: 'input', label: { type: 'plain_text', text: 'Command' }, element: { type: 'plain_text_input' } },
  ],
};

describe('fake Slack views', () => {
  let fake: FakeSlack;
  let client: WebClient;

  beforeEach(async () => {
    fake = await startFakeSlack();
    client = fakeSlackClient(fake);
  });
  afterEach(() => fake.close());

  it('publishes an App Home and keeps its id across publishes', async () => {
    const first = await client.views.publish({ user_id: USER, view: home });

    const second = await client.views.publish({ user_id: USER, view: home, hash: first.view!.hash! });

    expect(first.view).toMatchObject({ type: 'home', team_id: fake.bot.teamId, blocks: home.blocks });
    expect(second.view?.id).toBe(first.view?.id);
    expect(fake.views.map((v) => [v.type, v.userId])).toEqual([
      ['home', USER],
      ['home', USER],
    ]);
  });

  it('refuses a stale hash and a view that is not a home tab', async () => {
    await client.views.publish({ user_id: USER, view: home });
    await client.views.publish({ user_id: USER, view: home });

    const stale = await slackErrorOf(client.views.publish({ user_id: USER, view: home, hash: 'old' }));
    const wrongType = await slackErrorOf(client.views.publish({ user_id: USER, view: modal }));

    expect([stale, wrongType]).toEqual(['hash_conflict', 'invalid_arguments']);
  });

  it('opens a modal with a fresh trigger, once', async () => {
    const trigger_id = fake.triggerId();

    const opened = await client.views.open({ trigger_id, view: modal });
    const again = await slackErrorOf(client.views.open({ trigger_id, view: modal }));

    expect(opened.view).toMatchObject({ type: 'modal', title: modal.title });
    expect(again).toBe('exchanged_trigger_id');
  });

  it('refuses expired and made-up triggers, and modals that break view rules', async () => {
    const open = (trigger_id: string, view: View = modal) =>
      slackErrorOf(client.views.open({ trigger_id, view }));

    const expired = await open(newTriggerId(Date.now() - 3001));
    const madeUp = await open('12345.67890.abcdef');
    const longTitle = await open(fake.triggerId(), {
      ...modal,
      title: { type: 'plain_text', text: 'x'.repeat(25) },
    });
    const { submit: _submit, ...inputWithoutSubmit } = modal;
    const noSubmit = await open(fake.triggerId(), inputWithoutSubmit as View);

    expect([expired, madeUp, longTitle, noSubmit]).toEqual([
      'expired_trigger_id',
      'invalid_trigger_id',
      'invalid_arguments',
      'invalid_arguments',
    ]);
  });
});
