import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeSlackClient, MAX_RESPONSE_URL_USES, startFakeSlack, type FakeSlack } from './index.ts';

const CHANNEL = 'C0RESPOND01';

function postJson(url: string, body: unknown): Promise<Response> {
  const headers = { 'Content-Type': 'application/json' };
  return fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
}

describe('fake Slack response_url', () => {
  let fake: FakeSlack;

  beforeEach(async () => {
    fake = await startFakeSlack();
  });
  afterEach(() => fake.close());

  it('records what the app responds', async () => {
    const url = fake.responseUrl('cmd-1');

    const answer = await postJson(url, { response_type: 'ephemeral', text: 'Usage: /mpi up <name>' });

    expect(answer.status).toBe(200);
    expect(fake.responses('cmd-1')).toEqual([
      { status: 200, error: undefined, body: { response_type: 'ephemeral', text: 'Usage: /mpi up <name>' } },
    ]);
  });

  it('replaces and deletes the message the URL came from', async () => {
    const posted = await fakeSlackClient(fake).chat.postMessage({
      channel: CHANNEL,
      text: 'Down cluster a?',
    });
    const url = fake.responseUrl('click-1', { channel: CHANNEL, ts: posted.ts! });

    await postJson(url, { replace_original: true, text: 'Cluster a is going down' });
    const afterReplace = fake.messages(CHANNEL);
    await postJson(url, { delete_original: true });

    expect(afterReplace).toMatchObject([
      { text: 'Cluster a is going down', edits: [{ text: 'Down cluster a?' }] },
    ]);
    expect(fake.messages(CHANNEL)).toEqual([]);
  });

  it('applies the message limits, answering 400', async () => {
    const url = fake.responseUrl('cmd-2');

    const tooLong = await postJson(url, { text: 'x'.repeat(40_001) });
    const empty = await postJson(url, { response_type: 'in_channel' });

    expect([tooLong.status, empty.status]).toEqual([400, 400]);
    expect(fake.responses('cmd-2').map((r) => r.error)).toEqual(['msg_too_long', 'no_text']);
  });

  it('expires after five uses and does not know made-up ids', async () => {
    const url = fake.responseUrl('cmd-3');
    for (let use = 0; use < MAX_RESPONSE_URL_USES; use++) await postJson(url, { text: `update ${use}` });

    const sixth = await postJson(url, { text: 'one too many' });
    const unknown = await postJson(`${fake.baseUrl}/response/never-issued`, { text: 'x' });

    expect([sixth.status, unknown.status]).toEqual([404, 404]);
    expect(fake.violations().map((call) => [call.method, call.error])).toEqual([
      ['response_url', 'expired_url'],
      ['response_url', 'expired_url'],
    ]);
  });
});
