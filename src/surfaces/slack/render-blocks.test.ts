import type { types as slack } from '@slack/bolt';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { Block, Button, Message } from '../../ports/chat.ts';
import type { ClusterRow, JobRow } from '../../ports/store.ts';
import { jobCard } from '../../services/job-messages.ts';
import { clusterCard, downConfirmation } from '../../services/messages.ts';
import {
  SLACK_LIMITS,
  escapeMrkdwn,
  parseActionId,
  toSlackMessage,
  unescapeSlackText,
} from './render-blocks.ts';

/**
 * The subset of Block Kit the renderer may produce, with Slack's documented limits and no extra
 * properties: anything else (a typo'd type, a missing `text`, an over-long label) fails.
 */
const text = (type: 'plain_text' | 'mrkdwn', maxLength: number) => ({
  type: 'object',
  additionalProperties: false,
  required: ['type', 'text'],
  properties: {
    type: { const: type },
    text: { type: 'string', minLength: 1, maxLength, pattern: '\\S' },
    verbatim: { type: 'boolean' },
    emoji: { type: 'boolean' },
  },
});
const plain = (maxLength: number) => text('plain_text', maxLength);
const mrkdwn = (maxLength: number) => text('mrkdwn', maxLength);
const BLOCK_KIT_SCHEMA = {
  type: 'array',
  maxItems: 50,
  items: {
    oneOf: [
      {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'text'],
        properties: { type: { const: 'header' }, text: plain(150) },
      },
      {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        minProperties: 2,
        properties: {
          type: { const: 'section' },
          text: mrkdwn(3000),
          fields: { type: 'array', minItems: 1, maxItems: 10, items: mrkdwn(2000) },
        },
      },
      {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'elements'],
        properties: {
          type: { const: 'context' },
          elements: { type: 'array', minItems: 1, maxItems: 10, items: mrkdwn(3000) },
        },
      },
      {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'elements'],
        properties: {
          type: { const: 'actions' },
          elements: {
            type: 'array',
            minItems: 1,
            maxItems: 25,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['type', 'action_id', 'text', 'value'],
              properties: {
                type: { const: 'button' },
                action_id: { type: 'string', minLength: 1, maxLength: 255 },
                text: plain(75),
                value: { type: 'string', maxLength: 2000 },
                style: { enum: ['primary', 'danger'] },
                confirm: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['title', 'text', 'confirm', 'deny'],
                  properties: {
                    title: plain(100),
                    text: plain(300),
                    confirm: plain(30),
                    deny: plain(30),
                    style: { enum: ['primary', 'danger'] },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};
const validateBlocks = new Ajv({ allErrors: true, strict: false }).compile(BLOCK_KIT_SCHEMA);

/** Renders and checks every Slack rule the schema cannot express. */
function render(message: Message) {
  const rendered = toSlackMessage(message);
  validateBlocks(rendered.blocks);
  expect(validateBlocks.errors ?? []).toEqual([]);
  const actionIds = buttonsOf(rendered.blocks).map((button) => button.action_id);
  expect(new Set(actionIds).size).toBe(actionIds.length);
  expect(rendered.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackTextChars);
  for (const piece of [rendered.text, ...allTexts(rendered.blocks)]) expectCleanlyEscaped(piece);
  return rendered;
}

/** The buttons of all actions blocks (the renderer makes no other action elements). */
function buttonsOf(blocks: slack.KnownBlock[]): slack.Button[] {
  return blocks.flatMap((block) => (block.type === 'actions' ? (block.elements as slack.Button[]) : []));
}

/** Every string shown to people in the blocks. */
function allTexts(blocks: unknown): string[] {
  const out: string[] = [];
  JSON.stringify(blocks, (key, value: unknown) => {
    if (key === 'text' && typeof value === 'string') out.push(value);
    return value;
  });
  return out;
}

/** No bare `&`, `<` or `>` is left, and no entity or mention was cut in half. */
function expectCleanlyEscaped(shown: string): void {
  const rest = shown.replace(/&(amp|lt|gt);/g, '').replace(/<@[A-Z0-9]+>/g, '');
  expect(rest).not.toMatch(/[&<>]/);
}

function sectionText(block: unknown): string {
  const section = block as { type: string; text?: { text: string } };
  expect(section.type).toBe('section');
  return section.text?.text ?? '';
}

function oneBlock(block: Block) {
  const { blocks } = render({ text: 'fallback', blocks: [block] });
  expect(blocks).toHaveLength(1);
  return blocks[0];
}

const logLines = (count: number) =>
  Array.from({ length: count }, (_, index) => `rank ${index % 8}: step ${index + 1} residual=0.${index}`);

describe('render-blocks', () => {
  it('checks blocks with a schema that rejects malformed ones', () => {
    const malformed = [
      [{ type: 'section', text: { type: 'mrkdwn', text: '' } }],
      [{ type: 'section' }],
      [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }],
      [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }],
      [
        {
          type: 'actions',
          elements: [{ type: 'button', text: { type: 'plain_text', text: 'x' }, value: '1' }],
        },
      ],
      [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'x' })) }],
      [{ type: 'secton', text: { type: 'mrkdwn', text: 'x' } }],
      Array.from({ length: 51 }, () => ({ type: 'section', text: { type: 'mrkdwn', text: 'x' } })),
    ];

    const verdicts = malformed.map((blocks) => validateBlocks(blocks));

    expect(verdicts).toEqual(malformed.map(() => false));
    expect(validateBlocks([{ type: 'section', text: { type: 'mrkdwn', text: 'x' } }])).toBe(true);
  });

  describe('block kinds', () => {
    it('renders a header as plain text, cut to 150 characters with …', () => {
      const short = oneBlock({ kind: 'header', text: 'Cluster demo is ready' });
      const long = oneBlock({ kind: 'header', text: 'x'.repeat(400) });

      expect(short).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Cluster demo is ready' } });
      const longText = (long as { text: { text: string } }).text.text;
      expect(longText).toHaveLength(150);
      expect(longText.endsWith('…')).toBe(true);
    });

    it('renders text as a verbatim mrkdwn section', () => {
      const block = oneBlock({ kind: 'text', text: 'Run `/mpi key add` first.' });

      expect(block).toEqual({
        type: 'section',
        text: { type: 'mrkdwn', text: 'Run `/mpi key add` first.', verbatim: true },
      });
    });

    it('renders code inside ``` fences, each on its own line', () => {
      const block = oneBlock({ kind: 'code', text: 'ssh -p 2201 mpi@10.0.0.4\nssh -p 2202 mpi@10.0.0.5' });

      expect(sectionText(block)).toBe('```\nssh -p 2201 mpi@10.0.0.4\nssh -p 2202 mpi@10.0.0.5\n```');
    });

    it('keeps a ``` in code from closing the fence', () => {
      const block = oneBlock({ kind: 'code', text: 'echo ```\n````done' });

      const inner = sectionText(block).slice(4, -4);
      expect(inner).not.toContain('``');
      expect(inner.replace(/\u200b/g, '')).toBe('echo ```\n````done');
    });

    it('renders fields as *Label* and value, ten to a section, each within 2,000 characters', () => {
      const fields: [string, string][] = Array.from({ length: 12 }, (_, index) => [`F${index}`, `v${index}`]);
      fields.push(['Long', 'y'.repeat(5000)]);

      const { blocks } = render({ text: 'fields', blocks: [{ kind: 'fields', fields }] });

      expect(blocks).toHaveLength(2);
      const [first, second] = blocks as { fields: { text: string }[] }[];
      expect(first?.fields).toHaveLength(10);
      expect(first?.fields[0]).toEqual({ type: 'mrkdwn', text: '*F0*\nv0', verbatim: true });
      expect(second?.fields).toHaveLength(3);
      expect(second?.fields[2]?.text).toHaveLength(2000);
      expect(second?.fields[2]?.text.startsWith('*Long*\nyyy')).toBe(true);
    });

    it('renders context as a context block of mrkdwn elements', () => {
      const block = oneBlock({ kind: 'context', text: 'Shared folder `/shared` is on every node.' });

      expect(block).toEqual({
        type: 'context',
        elements: [{ type: 'mrkdwn', text: 'Shared folder `/shared` is on every node.', verbatim: true }],
      });
    });

    it('splits a long context into elements of at most 3,000 characters, ten per block', () => {
      const { blocks } = render({
        text: 'c',
        blocks: [{ kind: 'context', text: logLines(3000).join('\n') }],
      });

      const elements = blocks.flatMap((block) => (block.type === 'context' ? block.elements : []));
      expect(blocks.length).toBeGreaterThan(1);
      expect(elements.length).toBeGreaterThan(10);
    });

    it('renders buttons with action, label, value and style', () => {
      const button: Button = { action: 'job-cancel', label: 'Cancel job', value: '7', style: 'danger' };

      const block = oneBlock({
        kind: 'actions',
        buttons: [button, { action: 'cluster-keep', label: 'Keep', value: 'c1' }],
      });

      expect(block).toEqual({
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: 'job-cancel',
            text: { type: 'plain_text', text: 'Cancel job' },
            value: '7',
            style: 'danger',
          },
          {
            type: 'button',
            action_id: 'cluster-keep',
            text: { type: 'plain_text', text: 'Keep' },
            value: 'c1',
          },
        ],
      });
    });

    it('turns confirm into a confirmation dialog within its limits', () => {
      const button: Button = {
        action: 'cluster-down',
        label: 'L'.repeat(100),
        value: 'c1',
        style: 'danger',
        confirm: {
          title: 'T'.repeat(200),
          text: 'X'.repeat(500),
          confirm: 'C'.repeat(40),
          deny: 'D'.repeat(40),
        },
      };

      const block = oneBlock({ kind: 'actions', buttons: [button] });

      const [element] = buttonsOf(block ? [block] : []);
      expect(element?.text.text).toHaveLength(75);
      expect(element?.confirm).toEqual({
        title: { type: 'plain_text', text: `${'T'.repeat(99)}…` },
        text: { type: 'plain_text', text: `${'X'.repeat(299)}…` },
        confirm: { type: 'plain_text', text: `${'C'.repeat(29)}…` },
        deny: { type: 'plain_text', text: `${'D'.repeat(29)}…` },
        style: 'danger',
      });
    });

    it('leaves out a button whose value is too long to come back intact', () => {
      const { blocks } = render({
        text: 'b',
        blocks: [
          { kind: 'actions', buttons: [{ action: 'cluster-down', label: 'Down', value: 'v'.repeat(2001) }] },
        ],
      });

      expect(blocks).toEqual([]);
    });

    it('leaves out blocks with nothing to show (Slack rejects empty text)', () => {
      const { blocks } = render({
        text: 'x',
        blocks: [
          { kind: 'header', text: '  ' },
          { kind: 'text', text: '\n\n' },
          { kind: 'context', text: '' },
          { kind: 'fields', fields: [['', '']] },
          { kind: 'actions', buttons: [] },
        ],
      });

      expect(blocks).toEqual([]);
    });

    it('renders real service messages', () => {
      const cluster: ClusterRow = {
        id: 'c-1',
        name: 'demo',
        channelId: 'C1',
        ownerId: 'U0OWNER',
        provider: 'local',
        size: 'Standard_D2s_v5',
        spot: false,
        nodeCount: 2,
        createdAtMs: 0,
        state: 'ready',
        updatedAtMs: 0,
        deletedAtMs: null,
        cardChannelId: null,
        cardMessageId: null,
        lastError: 'quota <exceeded> & retried',
        readyCheck: null,
      };
      const job: JobRow = {
        clusterId: 'c-1',
        channelId: 'C1',
        userId: 'U0USER',
        command: 'mpiexec ./a.out > out.txt && echo ```',
        ranks: 4,
        ranksPerNode: null,
        timeoutInMs: null,
        submittedAtMs: 0,
        id: 7,
        state: 'running',
        startedAtMs: 0,
        endedAtMs: null,
        exitCode: null,
        pid: 1,
        remoteDir: null,
        logBytes: 0,
        chatBytes: 0,
        messageChannelId: null,
        messageId: null,
        note: null,
      };

      const card = render(clusterCard(cluster, null, 60_000));
      const confirmation = render(downConfirmation(cluster));
      const running = render(jobCard(job, 'demo', 60_000));

      expect(allTexts(card.blocks)).toContain('*Owner*\n<@U0OWNER>');
      expect(allTexts(card.blocks)).toContain('Problem: quota &lt;exceeded&gt; &amp; retried');
      expect(confirmation.blocks.at(-1)?.type).toBe('actions');
      expect(allTexts(running.blocks)).toContain(
        '```\nmpiexec ./a.out &gt; out.txt &amp;&amp; echo `\u200b`\u200b`\n```',
      );
    });
  });

  describe('limits', () => {
    it('fits a 20,000-line log into at most 50 blocks, keeping its start and end', () => {
      const lines = logLines(20_000);
      const log = lines.join('\n');

      const { text, blocks } = render({ text: log, blocks: [{ kind: 'code', text: log }] });

      expect(blocks.length).toBeLessThanOrEqual(50);
      expect(blocks.length).toBeGreaterThan(40);
      const texts = allTexts(blocks);
      for (const shown of texts) expect(shown.length).toBeLessThanOrEqual(3000);
      expect(texts[0]?.startsWith(`\`\`\`\n${lines[0]}\n`)).toBe(true);
      expect(texts.at(-1)?.endsWith(`\n${lines.at(-1)}\n\`\`\``)).toBe(true);
      const notice = blocks.find((block) => block.type === 'context');
      expect(JSON.stringify(notice)).toMatch(/… [\d,]+ lines not shown here/);
      expect(text.length).toBeLessThanOrEqual(40_000);
      expect(text.startsWith(lines[0] ?? '?')).toBe(true);
      expect(text).toMatch(/… \(cut: the full message is [\d,]+ characters\)$/);
    });

    it('splits long text at line boundaries', () => {
      const lines = logLines(400);

      const { blocks } = render({ text: 't', blocks: [{ kind: 'text', text: lines.join('\n') }] });

      expect(blocks.length).toBeGreaterThan(1);
      const joined = blocks.map(sectionText).join('\n');
      expect(joined).toBe(lines.join('\n'));
    });

    it('cuts a single line longer than a section without breaking entities or mentions', () => {
      const line = '<@U123> & <b> '.repeat(1000);

      const { blocks } = render({ text: 't', blocks: [{ kind: 'text', text: line }] });

      expect(blocks.length).toBeGreaterThan(1);
      expect(blocks.map(sectionText).join('')).toBe(escapeMrkdwn(line));
    });

    it('drops whole blocks only as a last resort, and keeps the buttons', () => {
      const many: Block[] = Array.from({ length: 70 }, (_, index) => ({
        kind: 'text',
        text: `paragraph ${index}`,
      }));
      many.push({ kind: 'actions', buttons: [{ action: 'cluster-keep', label: 'Keep', value: 'c1' }] });

      const { blocks } = render({ text: 'many', blocks: many });

      expect(blocks).toHaveLength(50);
      expect(sectionText(blocks[0])).toBe('paragraph 0');
      expect(blocks[48]?.type).toBe('context');
      expect(JSON.stringify(blocks[48])).toContain(
        '22 blocks not shown here: a message holds at most 50 blocks',
      );
      expect(blocks[49]?.type).toBe('actions');
    });
  });

  describe('escaping', () => {
    it('escapes &, < and > so that nothing becomes a ping or a link', () => {
      expect(escapeMrkdwn('<!channel> build & test')).toBe('&lt;!channel&gt; build &amp; test');
      expect(escapeMrkdwn('<https://x|y>')).toBe('&lt;https://x|y&gt;');
      expect(escapeMrkdwn('a &amp; b')).toBe('a &amp;amp; b');
      expect(escapeMrkdwn('<#C123> <!here> <@U1|name> <@u1>')).toBe(
        '&lt;#C123&gt; &lt;!here&gt; &lt;@U1|name&gt; &lt;@u1&gt;',
      );
    });

    it('keeps user mentions as mentions', () => {
      expect(escapeMrkdwn('owner <@U0ABC123> & <@W99>')).toBe('owner <@U0ABC123> &amp; <@W99>');
    });

    it('escapes every kind of block and the fallback text', () => {
      const evil = '<!channel> & <https://x|y>';
      const message: Message = {
        text: evil,
        blocks: [
          { kind: 'header', text: evil },
          { kind: 'text', text: evil },
          { kind: 'code', text: evil },
          { kind: 'fields', fields: [[evil, evil]] },
          { kind: 'context', text: evil },
          {
            kind: 'actions',
            buttons: [
              {
                action: 'cluster-down',
                label: evil,
                value: evil,
                confirm: { title: evil, text: evil, confirm: '<ok>', deny: '<no>' },
              },
            ],
          },
        ],
      };

      const rendered = render(message);

      const escaped = '&lt;!channel&gt; &amp; &lt;https://x|y&gt;';
      expect(rendered.text).toBe(escaped);
      expect(allTexts(rendered.blocks).filter((shown) => shown.includes(escaped))).toHaveLength(8);
      const [button] = buttonsOf(rendered.blocks);
      expect(button?.value).toBe(evil); // opaque: comes back exactly as the service wrote it
    });

    it('unescapes slash-command text in one pass', () => {
      expect(unescapeSlackText('run -- a &amp;&amp; b &lt; in &gt; out')).toBe('run -- a && b < in > out');
      expect(unescapeSlackText('&amp;lt;')).toBe('&lt;');
      expect(unescapeSlackText(escapeMrkdwn('x <y> & &amp; z'))).toBe('x <y> & &amp; z');
    });
  });

  describe('action ids', () => {
    it('suffixes repeated actions and maps every id back to its action', () => {
      const down = (value: string): Button => ({ action: 'cluster-down', label: 'Down', value });

      const { blocks } = render({
        text: 'x',
        blocks: [
          { kind: 'actions', buttons: [down('a'), down('b')] },
          { kind: 'actions', buttons: [down('c'), { action: 'job-cancel', label: 'Cancel', value: '1' }] },
        ],
      });

      const ids = buttonsOf(blocks).map((button) => button.action_id ?? '');
      expect(ids).toEqual(['cluster-down', 'cluster-down:1', 'cluster-down:2', 'job-cancel']);
      expect(ids.map(parseActionId)).toEqual(['cluster-down', 'cluster-down', 'cluster-down', 'job-cancel']);
    });

    it('returns null for ids it did not make', () => {
      for (const id of [
        '',
        'cluster-up',
        'cluster-down:',
        'cluster-down:x',
        'job-cancel:1:2',
        'toString',
        'constructor',
      ])
        expect(parseActionId(id)).toBeNull();
    });
  });
});
