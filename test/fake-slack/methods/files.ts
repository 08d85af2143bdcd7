import { isObject } from '../block-elements.ts';
import { parseJsonArg, stringArg } from '../content.ts';
import { fail, ok } from '../reply.ts';
import type { StoredFile } from '../types.ts';
import type { MethodSpec } from './method.ts';

/** Step 1 of Slack's external upload: reserve a file id and a URL to POST its bytes to. */
export const filesGetUploadUrlExternal: MethodSpec = {
  errors: ['invalid_arguments', 'missing_argument'],
  handle({ args, state }) {
    const filename = stringArg(args, 'filename');
    if (!filename) return fail('invalid_arguments', 'filename is required');
    const length = Number(args.length);
    // Slack: missing_argument "typically only occurs when the length provided is 0".
    if (!Number.isInteger(length) || length <= 0)
      return fail('missing_argument', `length ${String(args.length)}`);

    const id = state.nextId('F');
    state.files.push({ id, filename, length, bytes: null, completed: false });

    return ok({ upload_url: `${state.baseUrl}/upload/${id}`, file_id: id });
  },
};

/** Step 3: the bytes are in; share the files into a channel (and thread), or keep them private. */
export const filesCompleteUploadExternal: MethodSpec = {
  errors: ['invalid_arguments', 'file_not_found', 'invalid_channel', 'thread_not_found'],
  handle({ args, state }) {
    const requested = parseJsonArg(args.files);
    if (!Array.isArray(requested) || requested.length === 0 || !requested.every(isObject)) {
      return fail('invalid_arguments', 'files must be a JSON array of {id, title}');
    }
    const channelArg = stringArg(args, 'channel_id') ?? stringArg(args, 'channels');
    const threadTs = stringArg(args, 'thread_ts');
    if (threadTs && !channelArg) return fail('invalid_arguments', 'thread_ts needs channel_id');
    const channel = channelArg === undefined ? undefined : state.channel(channelArg);
    if (channel && 'error' in channel) return fail('invalid_channel', channel.detail);
    const threadIssue = channel && threadTs ? state.threadProblem(channel.id, threadTs) : null;
    if (threadIssue) return fail('thread_not_found', threadIssue.detail);
    const files: { file: StoredFile; title: unknown }[] = [];
    for (const entry of requested) {
      const file = state.files.find((f) => f.id === entry.id);
      if (!file || !file.bytes) return fail('file_not_found', `${String(entry.id)} was never uploaded`);
      files.push({ file, title: entry.title });
    }

    for (const { file, title } of files) {
      Object.assign(file, { completed: true, title: typeof title === 'string' ? title : file.filename });
      Object.assign(file, channel ? { channel: channel.id, threadTs } : {});
    }
    if (channel) {
      const text = stringArg(args, 'initial_comment') ?? '';
      state.post({ channel: channel.id, threadTs, text, files: files.map(({ file }) => file.id) });
    }

    return ok({ files: files.map(({ file }) => ({ id: file.id, title: file.title })) });
  },
};
