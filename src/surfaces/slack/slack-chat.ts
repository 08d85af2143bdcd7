import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { WebClient } from '@slack/web-api';
import { MpiboxError } from '../../domain/errors.ts';
import type { Chat, FileUpload, Message, MessageRef } from '../../ports/chat.ts';
import type { Logger } from '../../ports/logger.ts';
import { toSlackMessage } from './render-blocks.ts';

/**
 * Chat over Slack's Web API. Interactive messages (cards, replies to commands) and job logs
 * use separate WebClients, so a rate-limited log stream (429, retried after Retry-After by
 * the client) never delays an answer to a person. Thread replies, their updates and file
 * uploads are log traffic.
 */
export class SlackChat implements Chat {
  readonly #interactive: WebClient;
  readonly #logs: WebClient;
  readonly #logger: Logger;
  /** Messages posted as thread replies (log tails), so their updates use the log client too. */
  readonly #threadReplies = new Set<string>();

  constructor(interactive: WebClient, logs: WebClient, logger: Logger) {
    this.#interactive = interactive;
    this.#logs = logs;
    this.#logger = logger;
  }

  async post(channelId: string, message: Message, threadOf?: MessageRef): Promise<MessageRef> {
    const client = threadOf ? this.#logs : this.#interactive;
    let result;
    try {
      result = await client.chat.postMessage({
        channel: channelId,
        ...toSlackMessage(message),
        ...(threadOf ? { thread_ts: threadOf.messageId } : {}),
        unfurl_links: false,
        unfurl_media: false,
      });
    } catch (error) {
      const reason = slackError(error);
      if (reason !== null && CANNOT_POST.has(reason)) {
        throw new MpiboxError('forbidden', 'the bot cannot post here', {
          botNotInChannel: true,
          channelId,
          reason,
        });
      }
      throw error;
    }
    const ref = { channelId: result.channel ?? channelId, messageId: result.ts ?? '' };
    if (threadOf) this.#rememberReply(ref.messageId);
    return ref;
  }

  async update(ref: MessageRef, message: Message): Promise<void> {
    const client = this.#threadReplies.has(ref.messageId) ? this.#logs : this.#interactive;
    try {
      await client.chat.update({ channel: ref.channelId, ts: ref.messageId, ...toSlackMessage(message) });
    } catch (error) {
      // The port says: updating a message that is gone is a no-op.
      if (slackError(error) === 'message_not_found') return;
      throw error;
    }
  }

  async ephemeral(channelId: string, userId: string, message: Message): Promise<void> {
    await this.#interactive.chat.postEphemeral({
      channel: channelId,
      user: userId,
      ...toSlackMessage(message),
    });
  }

  /**
   * Slack's external upload, done by hand: `files.uploadV2` reads the whole file into memory,
   * and a job log can be gigabytes. Ask for an upload URL, stream the file to it, then share
   * the file into the thread.
   */
  async attach(ref: MessageRef, file: FileUpload): Promise<void> {
    const length = fs.statSync(file.path).size;
    const target = await this.#logs.files.getUploadURLExternal({ filename: file.name, length });
    if (!target.upload_url || !target.file_id)
      throw new Error('files.getUploadURLExternal returned no upload_url');
    const response = await fetch(target.upload_url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(length) },
      body: Readable.toWeb(fs.createReadStream(file.path)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`file upload failed with HTTP ${response.status}`);
    await this.#logs.files.completeUploadExternal({
      files: [{ id: target.file_id, title: file.title }],
      channel_id: ref.channelId,
      thread_ts: ref.messageId,
    });
    this.#logger.debug('file attached', { channelId: ref.channelId, name: file.name, length });
  }

  #rememberReply(ts: string): void {
    this.#threadReplies.add(ts);
    if (this.#threadReplies.size > 10_000)
      this.#threadReplies.delete(this.#threadReplies.values().next().value as string);
  }
}

/** Slack's answers meaning the bot may not post in a channel at all. */
const CANNOT_POST = new Set(['not_in_channel', 'channel_not_found', 'is_archived']);

/** The `error` code of a Slack platform error, if that is what `error` is. */
export function slackError(error: unknown): string | null {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' ? data.error : null;
}
