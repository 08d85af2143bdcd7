import { MAX_MESSAGE_BLOCKS } from '../blocks.ts';
import { readContent, stringArg } from '../content.ts';
import { fail, ok, rateLimited } from '../reply.ts';
import type { SlackState } from '../state.ts';
import type { StoredMessage } from '../types.ts';
import type { MethodSpec } from './method.ts';

export const chatPostMessage: MethodSpec = {
  errors: [
    'channel_not_found',
    'not_in_channel',
    'is_archived',
    'msg_too_long',
    'no_text',
    'invalid_blocks',
    'invalid_thread_ts',
    'thread_not_found',
  ],
  handle({ args, state, nowMs }) {
    const channel = state.channel(stringArg(args, 'channel'));
    if ('error' in channel) return fail(channel.error, channel.detail);
    const waitSeconds = state.limiter.take(`chat.postMessage:${channel.id}`, nowMs);
    if (waitSeconds !== null) return rateLimited(waitSeconds, `chat.postMessage in ${channel.id}`);
    if (state.isArchived(channel.id)) return fail('is_archived', channel.id);
    if (!state.isBotMember(channel.id)) return fail('not_in_channel', `the bot is not in ${channel.id}`);
    const threadTs = stringArg(args, 'thread_ts');
    const threadIssue = threadTs === undefined ? null : state.threadProblem(channel.id, threadTs);
    if (threadIssue) return fail(threadIssue.error, threadIssue.detail);
    const content = readContent(args, MAX_MESSAGE_BLOCKS);
    if (!content.ok) return fail(content.error, content.detail);

    const message = state.post({ channel: channel.id, threadTs, text: content.text, blocks: content.blocks });

    return ok({ channel: channel.id, ts: message.ts, message: messageBody(state, message) });
  },
};

export const chatUpdate: MethodSpec = {
  errors: ['channel_not_found', 'message_not_found', 'msg_too_long', 'no_text', 'invalid_blocks'],
  handle({ args, state, nowMs }) {
    const channel = state.channel(stringArg(args, 'channel'));
    if ('error' in channel) return fail(channel.error, channel.detail);
    const waitSeconds = state.limiter.take(`chat.update:${channel.id}`, nowMs);
    if (waitSeconds !== null) return rateLimited(waitSeconds, `chat.update in ${channel.id}`);
    const ts = stringArg(args, 'ts') ?? '';
    const message = state.message(channel.id, ts);
    if (!message) return fail('message_not_found', `no message ${ts} in ${channel.id}`);
    // Slack: "If you don't include [blocks], the message's previous blocks will be retained."
    const retained = args.blocks === undefined && message.blocks ? { ...args, blocks: message.blocks } : args;
    const content = readContent(retained, MAX_MESSAGE_BLOCKS);
    if (!content.ok) return fail(content.error, content.detail);

    state.edit(message, content.text, content.blocks);

    const edited = { user: state.bot.userId, ts: state.nextTs() };
    const body = { ...messageBody(state, message), edited };
    return ok({ channel: channel.id, ts: message.ts, text: message.text, message: body });
  },
};

export const chatPostEphemeral: MethodSpec = {
  errors: [
    'channel_not_found',
    'is_archived',
    'user_not_in_channel',
    'msg_too_long',
    'no_text',
    'invalid_blocks',
  ],
  handle({ args, state }) {
    const channel = state.channel(stringArg(args, 'channel'));
    if ('error' in channel) return fail(channel.error, channel.detail);
    if (state.isArchived(channel.id)) return fail('is_archived', channel.id);
    const user = stringArg(args, 'user');
    if (!user) return fail('user_not_in_channel', 'no user given');
    const content = readContent(args, MAX_MESSAGE_BLOCKS);
    if (!content.ok) return fail(content.error, content.detail);

    const messageTs = state.nextTs();
    const list = state.ephemerals.get(channel.id) ?? [];
    const threadTs = stringArg(args, 'thread_ts');
    list.push({ channel: channel.id, user, messageTs, threadTs, text: content.text, blocks: content.blocks });
    state.ephemerals.set(channel.id, list);

    return ok({ message_ts: messageTs });
  },
};

/** The `message` object Slack echoes back: only fields its published message schema allows. */
function messageBody(state: SlackState, message: StoredMessage): Record<string, unknown> {
  const parent = message.threadTs ? state.message(message.channel, message.threadTs) : undefined;
  return {
    type: 'message',
    text: message.text,
    user: message.user,
    bot_id: state.bot.botId,
    team: state.bot.teamId,
    ts: message.ts,
    ...(message.blocks ? { blocks: message.blocks } : {}),
    ...(parent ? { thread_ts: parent.ts, parent_user_id: parent.user } : {}),
  };
}
