import type { types as slack } from '@slack/bolt';
import type { Block, Button, Message } from '../../ports/chat.ts';

/**
 * Surface-neutral messages as Slack Block Kit. Whatever a service writes (a 20,000-line log, a
 * 500-character label, `<!channel>` in a job's output) comes out within Slack's documented
 * limits, so chat.postMessage never fails with `invalid_blocks` or `msg_too_long`.
 * Limits: https://docs.slack.dev/reference/block-kit/blocks and …/composition-objects.
 * Lengths are counted in UTF-16 code units (JS `length`), which is never fewer than Slack's count.
 */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  sectionTextChars: 3_000,
  headerChars: 150,
  fieldsPerSection: 10,
  fieldChars: 2_000,
  contextElements: 10,
  buttonsPerActions: 25,
  buttonTextChars: 75,
  buttonValueChars: 2_000,
  confirmTitleChars: 100,
  confirmTextChars: 300,
  confirmButtonChars: 30,
  fallbackTextChars: 40_000,
} as const;

/** Every button action; a Record so that adding one to the port fails to compile here. */
const ACTIONS: Record<Button['action'], true> = {
  'cluster-down': true,
  'cluster-keep': true,
  'job-cancel': true,
  'budget-approve': true,
};

const FENCE = '```';
/** The only `<…>` a service may write: a user mention. Everything else with `<` is escaped. */
const MENTION = /<@[A-Z0-9]+>/g;

/** Escapes `&`, `<` and `>` for Slack text (mrkdwn and plain_text), keeping `<@U123>` mentions live. */
export function escapeMrkdwn(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(MENTION)) {
    out += escapeAll(text.slice(last, match.index)) + match[0];
    last = match.index + match[0].length;
  }
  return out + escapeAll(text.slice(last));
}

function escapeAll(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const UNESCAPED: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };

/** Undoes Slack's escaping of slash-command text (`&amp;` `&lt;` `&gt;`), in one pass. */
export function unescapeSlackText(text: string): string {
  return text.replace(/&(?:amp|lt|gt);/g, (entity) => UNESCAPED[entity] ?? entity);
}

/**
 * The button action behind an `action_id`: the action itself, or the action with a `:n` suffix
 * that `toSlackMessage` adds when one message has several buttons with the same action.
 */
export function parseActionId(actionId: string): Button['action'] | null {
  const match = /^([a-z-]+)(?::\d+)?$/.exec(actionId);
  const action = match?.[1];
  return action !== undefined && Object.hasOwn(ACTIONS, action) ? (action as Button['action']) : null;
}

/** A rendered block with the number of source lines it shows (for the "not shown" notice). */
interface Piece {
  block: slack.KnownBlock;
  lines: number;
}

/** The pieces one source block became; `omittedLines` > 0 once pieces were dropped at `gapAt`. */
interface Group {
  pieces: Piece[];
  /** Buttons are never dropped from the middle: a notice could not say what went missing. */
  trimmable: boolean;
  omittedLines: number;
  gapAt: number;
}

/** Renders a message as Block Kit within Slack's limits, with an escaped, bounded fallback `text`. */
export function toSlackMessage(message: Message): { text: string; blocks: slack.KnownBlock[] } {
  const actionIds = new Map<Button['action'], number>();
  const groups = message.blocks.map((block) => ({
    pieces: renderBlock(block, actionIds),
    trimmable: block.kind !== 'actions',
    omittedLines: 0,
    gapAt: 0,
  }));
  return { text: fallbackText(message.text), blocks: fitBlockCount(groups, SLACK_LIMITS.blocksPerMessage) };
}

function renderBlock(block: Block, actionIds: Map<Button['action'], number>): Piece[] {
  switch (block.kind) {
    case 'header': {
      const text = truncate(escapeMrkdwn(block.text.trim()), SLACK_LIMITS.headerChars);
      return text === '' ? [] : [{ block: { type: 'header', text: plain(text) }, lines: 1 }];
    }
    case 'text':
      return chunkLines(escapeMrkdwn(block.text), SLACK_LIMITS.sectionTextChars)
        .filter((chunk) => chunk.text.trim() !== '')
        .map((chunk) => ({ block: { type: 'section', text: mrkdwn(chunk.text) }, lines: chunk.lines }));
    case 'code': {
      const budget = SLACK_LIMITS.sectionTextChars - 2 * (FENCE.length + 1);
      return chunkLines(escapeMrkdwn(defuseFences(block.text)), budget).map((chunk) => ({
        // Fences on their own lines: content that starts or ends with a backtick cannot merge
        // into the fence.
        block: { type: 'section', text: mrkdwn(`${FENCE}\n${chunk.text}\n${FENCE}`) },
        lines: chunk.lines,
      }));
    }
    case 'fields':
      return inGroupsOf(block.fields.map(fieldText).filter(Boolean), SLACK_LIMITS.fieldsPerSection).map(
        (texts) => ({ block: { type: 'section', fields: texts.map(mrkdwn) }, lines: 1 }),
      );
    case 'context': {
      const chunks = chunkLines(escapeMrkdwn(block.text), SLACK_LIMITS.sectionTextChars).filter(
        (chunk) => chunk.text.trim() !== '',
      );
      return inGroupsOf(chunks, SLACK_LIMITS.contextElements).map((elements) => ({
        block: { type: 'context', elements: elements.map((chunk) => mrkdwn(chunk.text)) },
        lines: elements.reduce((sum, chunk) => sum + chunk.lines, 0),
      }));
    }
    case 'actions': {
      const buttons = block.buttons.flatMap((button) => renderButton(button, actionIds));
      return inGroupsOf(buttons, SLACK_LIMITS.buttonsPerActions).map((elements) => ({
        block: { type: 'actions', elements },
        lines: 0,
      }));
    }
  }
}

function fieldText([label, value]: [string, string]): string {
  const bold = label.trim() === '' ? '' : `*${escapeMrkdwn(label.trim())}*`;
  const text = [bold, escapeMrkdwn(value)].filter(Boolean).join('\n');
  return truncate(text, SLACK_LIMITS.fieldChars);
}

/**
 * A button, or none when its value is too long for Slack: the value is an opaque id that must
 * come back verbatim, and a cut one would route the click to the wrong thing or to nothing.
 */
function renderButton(button: Button, actionIds: Map<Button['action'], number>): slack.Button[] {
  if (button.value.length > SLACK_LIMITS.buttonValueChars) return [];
  const seen = actionIds.get(button.action) ?? 0;
  actionIds.set(button.action, seen + 1);
  const label = truncate(escapeMrkdwn(button.label.trim()), SLACK_LIMITS.buttonTextChars);
  const rendered: slack.Button = {
    type: 'button',
    action_id: seen === 0 ? button.action : `${button.action}:${seen}`,
    text: plain(label === '' ? button.action : label),
    value: button.value,
  };
  if (button.style) rendered.style = button.style;
  if (button.confirm) {
    const { title, text, confirm, deny } = button.confirm;
    rendered.confirm = {
      title: plain(plainWithin(title, SLACK_LIMITS.confirmTitleChars, 'Are you sure?')),
      text: plain(plainWithin(text, SLACK_LIMITS.confirmTextChars, 'Are you sure?')),
      confirm: plain(plainWithin(confirm, SLACK_LIMITS.confirmButtonChars, 'Yes')),
      deny: plain(plainWithin(deny, SLACK_LIMITS.confirmButtonChars, 'Cancel')),
    };
    // A dangerous button gets a red confirm button too (Slack's default is green).
    if (button.style) rendered.confirm.style = button.style;
  }
  return [rendered];
}

function plainWithin(text: string, maxChars: number, whenEmpty: string): string {
  const escaped = truncate(escapeMrkdwn(text.trim()), maxChars);
  return escaped === '' ? whenEmpty : escaped;
}

function plain(text: string): slack.PlainTextElement {
  return { type: 'plain_text', text };
}

/**
 * `verbatim: true` so that Slack does not turn a bare `@channel`, `#channel` or URL that a job
 * printed into a ping or a link; `<@U123>` mentions and formatting still render.
 */
function mrkdwn(text: string): slack.MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true };
}

/**
 * Inside a code block a literal ``` would end the block early, so a zero-width space goes
 * between any two adjacent backticks: it looks the same, though a copy of the text carries it.
 */
function defuseFences(text: string): string {
  return text.replace(/`(?=`)/g, '`\u200b');
}

/** Splits escaped text into chunks of whole lines, each at most `maxChars`; long lines are cut. */
function chunkLines(text: string, maxChars: number): { text: string; lines: number }[] {
  const chunks: { text: string; lines: number }[] = [];
  let current: { text: string; lines: number } | null = null;
  for (const line of text.split('\n')) {
    let rest = line;
    let lineStart = 1;
    do {
      const cut = rest.length <= maxChars ? rest.length : softCut(rest, maxChars);
      const piece = rest.slice(0, cut);
      rest = rest.slice(cut);
      if (current && lineStart === 1 && current.text.length + 1 + piece.length <= maxChars) {
        current.text += `\n${piece}`;
        current.lines += 1;
      } else {
        if (current) chunks.push(current);
        current = { text: piece, lines: lineStart };
      }
      lineStart = 0;
    } while (rest !== '');
  }
  if (current) chunks.push(current);
  return chunks;
}

/** Where to cut a too-long line: at a space in the last quarter if there is one, else hard. */
function softCut(text: string, maxChars: number): number {
  const hard = safeCut(text, maxChars);
  const space = text.lastIndexOf(' ', hard - 1);
  return space > hard * 0.75 ? space + 1 : hard;
}

/** `text` cut to at most `maxChars`, ending in … when cut. */
function truncate(text: string, maxChars: number, marker = '…'): string {
  if (text.length <= maxChars) return text;
  return text.slice(0, safeCut(text, maxChars - marker.length)) + marker;
}

/**
 * The largest cut ≤ `maxChars` that does not split an entity (`&amp;`), a mention (`<@U1>`) or
 * a surrogate pair. In escaped text every `&` starts an entity and every `<` a mention.
 */
function safeCut(text: string, maxChars: number): number {
  let cut = Math.min(maxChars, text.length);
  const head = text.slice(0, cut);
  const amp = head.lastIndexOf('&');
  if (amp >= 0 && !head.includes(';', amp)) cut = amp;
  const open = head.lastIndexOf('<', cut - 1);
  if (open >= 0 && !head.slice(0, cut).includes('>', open)) cut = open;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  // A line of nothing but one huge "entity" cannot happen: entities are 4–5 characters long.
  return cut > 0 ? cut : Math.min(maxChars, text.length);
}

function fallbackText(text: string): string {
  const escaped = escapeMrkdwn(text);
  const max = SLACK_LIMITS.fallbackTextChars;
  if (escaped.length <= max) return escaped;
  const note = `\n… (cut: the full message is ${escaped.length.toLocaleString('en-US')} characters)`;
  return truncate(escaped, max, note);
}

/**
 * At most `maxBlocks` blocks. The longest split block loses its middle pieces first (the start
 * and end of a log are what people read), replaced by one notice saying how much is not shown.
 * Only when that is not enough are whole blocks dropped, buttons last.
 */
function fitBlockCount(groups: Group[], maxBlocks: number): slack.KnownBlock[] {
  const total = () => groups.reduce((sum, g) => sum + g.pieces.length + (g.omittedLines > 0 ? 1 : 0), 0);
  while (total() > maxBlocks) {
    const widest = groups
      .filter((g) => g.trimmable && g.pieces.length >= (g.omittedLines > 0 ? 2 : 3))
      .reduce<Group | null>((best, g) => (best && best.pieces.length >= g.pieces.length ? best : g), null);
    if (!widest) break;
    const middle = Math.floor(widest.pieces.length / 2);
    const [dropped] = widest.pieces.splice(middle, 1);
    widest.omittedLines += Math.max(dropped?.lines ?? 0, 1);
    widest.gapAt = middle;
  }
  const flat = groups.flatMap((g) => {
    const blocks = g.pieces.map((piece) => piece.block);
    if (g.omittedLines > 0) blocks.splice(g.gapAt, 0, notice(count(g.omittedLines, 'line')));
    return blocks;
  });
  return flat.length <= maxBlocks ? flat : dropBlocks(flat, maxBlocks);
}

function dropBlocks(blocks: slack.KnownBlock[], maxBlocks: number): slack.KnownBlock[] {
  const actionCount = blocks.filter((block) => block.type === 'actions').length;
  let otherRoom = Math.max(maxBlocks - 1 - actionCount, 0);
  let actionRoom = maxBlocks - 1 - otherRoom; // all of them, unless there are more than 49
  const kept: slack.KnownBlock[] = [];
  let noticeAt = -1;
  for (const block of blocks) {
    const isAction = block.type === 'actions';
    if (isAction ? actionRoom > 0 : otherRoom > 0) {
      kept.push(block);
      if (isAction) actionRoom -= 1;
      else otherRoom -= 1;
    } else if (noticeAt < 0) noticeAt = kept.length;
  }
  kept.splice(noticeAt, 0, notice(count(blocks.length - kept.length, 'block')));
  return kept;
}

function notice(what: string): slack.ContextBlock {
  const max = SLACK_LIMITS.blocksPerMessage;
  return {
    type: 'context',
    elements: [mrkdwn(`_… ${what} not shown here: a message holds at most ${max} blocks …_`)],
  };
}

function count(amount: number, noun: string): string {
  return `${amount.toLocaleString('en-US')} ${noun}${amount === 1 ? '' : 's'}`;
}

function inGroupsOf<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}
