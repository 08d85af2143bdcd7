import type { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fakeSlackClient,
  MAX_MESSAGE_BLOCKS,
  MAX_TEXT_CHARACTERS,
  slackErrorOf,
  startFakeSlack,
  type FakeSlack,
} from './index.ts';

const CHANNEL = 'C0LIMITS001';
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const header = (text: string) => ({ type: 'header', text: { type: 'plain_text', text } });
const button = (text: string) => ({ type: 'button', action_id: 'go', text: { type: 'plain_text', text } });

describe('fake Slack message limits', () => {
  let fake: FakeSlack;
  let client: WebClient;

  beforeAll(async () => {
    fake = await startFakeSlack({ rateLimit: { burst: 1000 } });
    client = fakeSlackClient(fake);
  });
  afterAll(() => fake.close());

  const errorOf = (blocks: unknown, text = 'fallback') =>
    slackErrorOf(client.chat.postMessage({ channel: CHANNEL, text, blocks: blocks as [] }));

  it.each([
    ['text at the limit', 'ok', undefined, 'x'.repeat(MAX_TEXT_CHARACTERS)],
    ['text over 40,000 characters', 'msg_too_long', undefined, 'x'.repeat(MAX_TEXT_CHARACTERS + 1)],
    ['50 blocks', 'ok', Array.from({ length: MAX_MESSAGE_BLOCKS }, () => section('s')), 'f'],
    ['51 blocks', 'invalid_blocks', Array.from({ length: MAX_MESSAGE_BLOCKS + 1 }, () => section('s')), 'f'],
    ['section text of 3,000', 'ok', [section('x'.repeat(3000))], 'f'],
    ['section text of 3,001', 'invalid_blocks', [section('x'.repeat(3001))], 'f'],
    ['header of 150', 'ok', [header('x'.repeat(150))], 'f'],
    ['header of 151', 'invalid_blocks', [header('x'.repeat(151))], 'f'],
    ['blocks that are not JSON', 'invalid_blocks', '[{"type": "section",', 'f'],
    ['an unknown block type', 'invalid_blocks', [{ type: 'paragraph', text: 'x' }], 'f'],
    ['an empty section text', 'invalid_blocks', [section('')], 'f'],
    ['a mrkdwn header', 'invalid_blocks', [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }], 'f'],
    [
      'a button label of 76',
      'invalid_blocks',
      [{ type: 'actions', elements: [button('x'.repeat(76))] }],
      'f',
    ],
    [
      'duplicate block_ids',
      'invalid_blocks',
      [
        { ...section('a'), block_id: 'b' },
        { ...section('b'), block_id: 'b' },
      ],
      'f',
    ],
    [
      'an action element of no known type',
      'invalid_blocks',
      [{ type: 'actions', elements: [{ type: 'nonsense', action_id: 'a' }] }],
      'f',
    ],
    [
      'a section accessory of no known type',
      'invalid_blocks',
      [{ ...section('s'), accessory: { type: 'nonsense' } }],
      'f',
    ],
    [
      'a section accessory button with no label',
      'invalid_blocks',
      [{ ...section('s'), accessory: { type: 'button', action_id: 'a' } }],
      'f',
    ],
    ['a section with a button accessory', 'ok', [{ ...section('s'), accessory: button('Go') }], 'f'],
    [
      'a context image with no URL',
      'invalid_blocks',
      [{ type: 'context', elements: [{ type: 'image', alt_text: 'x' }] }],
      'f',
    ],
    [
      'a context image',
      'ok',
      [
        {
          type: 'context',
          elements: [{ type: 'image', image_url: 'https://example.com/a.png', alt_text: 'a' }],
        },
      ],
      'f',
    ],
    ['an empty file block', 'invalid_blocks', [{ type: 'file' }], 'f'],
    ['an empty video block', 'invalid_blocks', [{ type: 'video' }], 'f'],
    ['neither text nor blocks', 'no_text', undefined, ''],
  ])('%s → %s', async (_name, expected, blocks, text) => {
    const error = await errorOf(blocks, text);

    expect(error).toBe(expected);
  });

  it('applies the same limits to chat.update and chat.postEphemeral', async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'v1' });
    const tooMany = Array.from({ length: 51 }, () => section('s'));

    const longText = 'x'.repeat(MAX_TEXT_CHARACTERS + 1);

    const update = await slackErrorOf(
      client.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'v2', blocks: tooMany }),
    );
    const ephemeral = await slackErrorOf(
      client.chat.postEphemeral({ channel: CHANNEL, user: 'U0P0000001', text: longText }),
    );

    expect([update, ephemeral]).toEqual(['invalid_blocks', 'msg_too_long']);
  });

  it('says which rule a refusal broke', async () => {
    await errorOf([section('x'.repeat(3001))]);

    expect(fake.violations().at(-1)?.detail).toBe('blocks[0]: text.text is 3001 characters; at most 3000');
  });
});
