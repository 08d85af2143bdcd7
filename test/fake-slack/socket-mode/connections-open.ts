import type { IncomingMessage } from 'node:http';
import type { Args } from '../content.ts';
import { tokenOf } from '../http-io.ts';
import { fail, ok, type Reply } from '../reply.ts';
import type { SlackState } from '../state.ts';

/**
 * `apps.connections.open`: only an app-level token (`xapp-…`) in the Authorization header
 * opens a connection. Slack answers `not_allowed_token_type` to a bot token, and its method page
 * says a token passed as a POST parameter "will result in an error" without naming the code;
 * the fake answers `not_authed` there, the code for "no token where one was expected".
 */
export function appsConnectionsOpen(state: SlackState, req: IncomingMessage, args: Args): Reply {
  const token = tokenOf(req, args);
  if (!token) return fail('not_authed');
  if (state.tokens.includes(token))
    return fail('not_allowed_token_type', 'apps.connections.open takes an app-level token, not a bot token');
  if (!state.socket.appTokens.includes(token)) return fail('invalid_auth');
  if (!req.headers.authorization)
    return fail('not_authed', 'the app-level token must be in the Authorization header');
  return ok({ url: state.socket.issueUrl(state.baseUrl) });
}
