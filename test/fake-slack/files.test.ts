import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeSlackClient, slackErrorOf, startFakeSlack, type FakeSlack } from './index.ts';

const CHANNEL = 'C0FILES0001';

describe('fake Slack external file uploads', () => {
  let fake: FakeSlack;
  let client: WebClient;

  beforeEach(async () => {
    fake = await startFakeSlack();
    client = fakeSlackClient(fake);
  });
  afterEach(() => fake.close());

  it('takes files.uploadV2 of a file on disk end to end into a thread', async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'job 7 started' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-slack-'));
    const file = path.join(dir, 'job-7.log');
    fs.writeFileSync(file, 'rank 0: hello\nrank 1: hello\n');

    const result = await client.files.uploadV2({
      channel_id: CHANNEL,
      thread_ts: parent.ts!,
      file,
      filename: 'job-7.log',
      title: 'Job 7 log',
      initial_comment: 'full log',
    });

    const [stored] = fake.files;
    expect(result.ok).toBe(true);
    expect(stored).toMatchObject({
      filename: 'job-7.log',
      title: 'Job 7 log',
      completed: true,
      threadTs: parent.ts,
    });
    expect(stored?.bytes?.toString()).toBe('rank 0: hello\nrank 1: hello\n');
    expect(fake.messages(CHANNEL).at(-1)).toMatchObject({
      threadTs: parent.ts,
      text: 'full log',
      files: [stored?.id],
    });
    expect(fake.calls.map((call) => call.method)).toEqual([
      'chat.postMessage',
      'files.getUploadURLExternal',
      'upload',
      'files.completeUploadExternal',
    ]);
  });

  it('accepts raw bytes streamed to the upload URL', async () => {
    const reserved = await client.files.getUploadURLExternal({ filename: 'big.log', length: 6 });
    const stream = new Blob(['abc', 'def']).stream();

    const upload = await fetch(reserved.upload_url!, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    await client.files.completeUploadExternal({ files: [{ id: reserved.file_id! }], channel_id: CHANNEL });

    expect(upload.status).toBe(200);
    expect(await upload.text()).toBe('OK - 6');
    expect(fake.files[0]).toMatchObject({ completed: true, channel: CHANNEL, title: 'big.log' });
  });

  it('enforces the announced length', async () => {
    const reserved = await client.files.getUploadURLExternal({ filename: 'a.txt', length: 3 });

    const upload = await fetch(reserved.upload_url!, { method: 'POST', body: 'four' });

    expect(upload.status).toBe(400);
    expect(fake.violations()).toMatchObject([{ method: 'upload', error: 'length_mismatch' }]);
    expect(fake.files[0]?.bytes).toBeNull();
  });

  it('refuses a zero length, completing a file never uploaded, and bad destinations', async () => {
    const reserved = await client.files.getUploadURLExternal({ filename: 'a.txt', length: 1 });
    const files: [{ id: string }] = [{ id: reserved.file_id! }];

    const zero = await slackErrorOf(client.files.getUploadURLExternal({ filename: 'a.txt', length: 0 }));
    const early = await slackErrorOf(client.files.completeUploadExternal({ files }));
    await fetch(reserved.upload_url!, { method: 'POST', body: 'x' });
    const nowhere = await slackErrorOf(client.files.completeUploadExternal({ files, channel_id: 'nowhere' }));
    const thread_ts = '1700000000.000100';
    const noThread = await slackErrorOf(
      client.files.completeUploadExternal({ files, channel_id: CHANNEL, thread_ts }),
    );

    expect([zero, early, nowhere, noThread]).toEqual([
      'missing_argument',
      'file_not_found',
      'invalid_channel',
      'thread_not_found',
    ]);
  });
});
