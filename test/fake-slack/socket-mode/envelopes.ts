import { isObject } from '../block-elements.ts';
import { MAX_MESSAGE_BLOCKS } from '../blocks.ts';
import { readContent } from '../content.ts';
import type { SocketAckRecord, SocketEnvelopeInput } from './types.ts';

/** Interactions whose ack may carry an answer (a view update, errors, options). */
const ANSWERED_IN_ACK = ['view_submission', 'block_suggestion'];

/**
 * `accepts_response_payload` as Slack sets it: true for slash commands and for the interactions
 * answered in the ack; false for block_actions and Events API envelopes.
 */
export function acceptsResponsePayload({ type, payload }: SocketEnvelopeInput): boolean {
  if (type === 'slash_commands') return true;
  return type === 'interactive' && isObject(payload) && ANSWERED_IN_ACK.includes(String(payload.type));
}

/**
 * What Slack would refuse or silently drop in an ack's payload: any payload where none is
 * accepted, and for slash commands the same text and block limits as a posted message.
 */
export function ackPayloadProblem(record: SocketAckRecord, payload: unknown): string | null {
  if (payload === undefined) return null;
  if (!isObject(payload)) return 'payload must be a JSON object';
  if (Object.keys(payload).length === 0) return null;
  if (!record.acceptsResponsePayload)
    return `Slack ignores a payload in the ack of a ${record.type} envelope`;
  if (record.type !== 'slash_commands') return null;
  const { response_type: responseType } = payload;
  if (responseType !== undefined && responseType !== 'in_channel' && responseType !== 'ephemeral') {
    return `response_type ${JSON.stringify(responseType)}`;
  }
  const content = readContent(payload, MAX_MESSAGE_BLOCKS);
  return content.ok ? null : `${content.error}: ${content.detail}`;
}
