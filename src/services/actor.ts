import type { Message } from '../ports/chat.ts';

/** Who is asking, and where. Ids are Slack user/channel ids (or console names). */
export interface Actor {
  userId: string;
  /** For messages only; authorization always uses `userId`. */
  displayName: string;
  channelId: string;
}

/** The direct answer to a command or click. */
export interface Reply {
  /** `ephemeral`: only the caller sees it; `channel`: everyone in the channel. */
  visibility: 'ephemeral' | 'channel';
  message: Message;
}

/** Services shared settings that come from config. */
export interface Limits {
  maxNodesPerCluster: number;
  maxTotalNodes: number;
  readyTimeoutInMs: number;
  adminIds: readonly string[];
}
