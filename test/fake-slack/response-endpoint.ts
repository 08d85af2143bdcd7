import { isObject } from './block-elements.ts';
import { MAX_MESSAGE_BLOCKS } from './blocks.ts';
import { readContent } from './content.ts';
import { errorOf, type Reply } from './reply.ts';
import type { SlackState } from './state.ts';

/** Slack: a response_url can be used "up to 5 times within 30 minutes". */
export const MAX_RESPONSE_URL_USES = 5;

/**
 * A POST to a response_url (JSON: text/blocks, response_type, replace_original,
 * delete_original). Same text and block limits as chat.postMessage. Errors answer non-200, as
 * Slack's webhooks do, so a client that ignores the status cannot miss them.
 */
export function answerResponse(
  state: SlackState,
  id: string,
  raw: Buffer,
): { body: Record<string, unknown>; reply: Reply } {
  const body = parseObject(raw);
  const entry = state.responseUrls.get(id);
  const reply = decide(state, entry, body);
  entry?.records.push({ body: body ?? {}, status: reply.status, error: errorOf(reply) });
  return { body: body ?? {}, reply };
}

function decide(
  state: SlackState,
  entry: ReturnType<SlackState['responseUrls']['get']>,
  body: Record<string, unknown> | null,
): Reply {
  if (!entry) return refuse(404, 'expired_url', 'unknown response_url');
  const uses = entry.records.filter((r) => r.status === 200).length;
  if (uses >= MAX_RESPONSE_URL_USES) return refuse(404, 'expired_url', `used ${uses} times already`);
  if (!body) return refuse(400, 'invalid_payload', 'body is not a JSON object');
  const original = entry.origin && state.message(entry.origin.channel, entry.origin.ts);
  if (body.delete_original === true || body.delete_original === 'true') {
    if (original) state.remove(original);
    return { status: 200, body: { ok: true } };
  }
  const content = readContent(body, MAX_MESSAGE_BLOCKS);
  if (!content.ok) return refuse(400, content.error, content.detail);
  if (original && (body.replace_original === true || body.replace_original === 'true')) {
    state.edit(original, content.text, content.blocks);
  }
  return { status: 200, body: { ok: true } };
}

function parseObject(raw: Buffer): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    return isObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

function refuse(status: number, error: string, detail: string): Reply {
  return { status, body: { ok: false, error }, detail };
}
