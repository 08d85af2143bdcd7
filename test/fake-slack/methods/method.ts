import type { Args } from '../content.ts';
import type { Reply } from '../reply.ts';
import type { SlackState } from '../state.ts';

export interface MethodContext {
  args: Args;
  state: SlackState;
  /** Arrival time, epoch ms. */
  nowMs: number;
}

/** One Web API method: its handler and every error code the handler can answer. */
export interface MethodSpec {
  errors: readonly string[];
  handle(context: MethodContext): Reply;
}

/** Errors any method can answer, before its handler runs (auth, body parsing, rate limits). */
export const COMMON_ERRORS = [
  'not_authed',
  'invalid_auth',
  'invalid_json',
  'json_not_object',
  'invalid_form_data',
  'invalid_post_type',
  'missing_post_type',
  'ratelimited',
] as const;
