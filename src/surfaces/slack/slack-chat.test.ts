import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeSlackClient, startFakeSlack, type FakeSlack } from '../../../test/fake-slack/index.ts';
import { makeTempDir } from '../../../test/support/local-fixtures.ts';
import { MemoryLogger } from '../../../test/fakes/harness.ts';
import { SlackChat } from './slack-chat.ts';

const message = (text: string) => ({ text, blocks: [{ kind: 'text' as const, text }] });

describe('SlackChat', () => {
  let fake: FakeSlack;
  afterEach(async () => {
    await fake.close();
  });

  it('keeps answering people while the log client waits out a 429', async () => {
    fake = await startFakeSlack();
    const chat = new SlackChat(fakeSlackClient(fake), fakeSlackClient(fake), new MemoryLogger());
    const parent = await chat.post('C1', message('job #1 on demo: running'));
    fake.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 });

    const started = performance.now();
    const log = chat.post('C1', message('line 1'), parent);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the log call is now waiting out Retry-After
    await chat.post('C2', message('Cluster demo is ready'));
    const interactiveMs = performance.now() - started;
    await log;

    expect(interactiveMs).toBeLessThan(900);
    expect(
      fake
        .messages('C1')
        .filter((posted) => posted.threadTs === parent.messageId)
        .map((posted) => posted.text),
    ).toEqual(['line 1']);
    expect(fake.calls.filter((call) => call.status === 429)).toHaveLength(1);
  });

  it('streams a file into the thread and treats an update of a vanished message as done', async () => {
    fake = await startFakeSlack();
    const chat = new SlackChat(fakeSlackClient(fake), fakeSlackClient(fake), new MemoryLogger());
    const parent = await chat.post('C1', message('job #2 on demo: succeeded'));
    const file = path.join(makeTempDir('mpibox-slack-chat'), 'job-2.log');
    fs.writeFileSync(file, 'x'.repeat(100_000));

    await chat.attach(parent, { name: 'job-2.log', title: 'Complete log of job #2', path: file });
    await chat.update({ channelId: 'C1', messageId: '1234.5678' }, message('gone'));

    const uploaded = fake.files.find((candidate) => candidate.filename === 'job-2.log');
    expect(uploaded).toMatchObject({
      completed: true,
      channel: 'C1',
      threadTs: parent.messageId,
      length: 100_000,
    });
    expect(uploaded?.bytes?.length).toBe(100_000);
  });
});
