import { FAKE_IDENTITY } from '../identity.ts';
import { ok } from '../reply.ts';
import { chatPostEphemeral, chatPostMessage, chatUpdate } from './chat.ts';
import { filesCompleteUploadExternal, filesGetUploadUrlExternal } from './files.ts';
import type { MethodSpec } from './method.ts';
import { viewsOpen, viewsPublish } from './views.ts';

export { COMMON_ERRORS, type MethodContext, type MethodSpec } from './method.ts';

const authTest: MethodSpec = {
  errors: [],
  handle: ({ state }) =>
    ok({
      url: FAKE_IDENTITY.url,
      team: FAKE_IDENTITY.teamName,
      user: FAKE_IDENTITY.botName,
      team_id: state.bot.teamId,
      user_id: state.bot.userId,
      bot_id: state.bot.botId,
      is_enterprise_install: false,
    }),
};

/** Every Web API method the fake implements. Anything else answers `unknown_method`. */
export const METHODS: Readonly<Record<string, MethodSpec>> = {
  'auth.test': authTest,
  'chat.postMessage': chatPostMessage,
  'chat.update': chatUpdate,
  'chat.postEphemeral': chatPostEphemeral,
  'views.publish': viewsPublish,
  'views.open': viewsOpen,
  'files.getUploadURLExternal': filesGetUploadUrlExternal,
  'files.completeUploadExternal': filesCompleteUploadExternal,
};
