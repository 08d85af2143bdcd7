/**
 * Surface-neutral chat. Services build `Message`s out of a few block kinds; each surface
 * (Slack Block Kit, console text) renders them. `text` is always a complete plain fallback.
 */
export interface Chat {
  /**
   * Posts a message to a channel, or into a thread when `threadOf` is given. Throws
   * MpiboxError('forbidden') with the field `botNotInChannel` when the bot may not post there
   * (never invited, archived, gone).
   */
  post(channelId: string, message: Message, threadOf?: MessageRef): Promise<MessageRef>;
  /** Replaces a posted message in place. Updating a message that is gone is a no-op. */
  update(ref: MessageRef, message: Message): Promise<void>;
  /** Shows a message to one user only. */
  ephemeral(channelId: string, userId: string, message: Message): Promise<void>;
  /** Uploads a file (read from `path`, streamed, never held whole in memory) into the thread of `ref`. */
  attach(ref: MessageRef, file: FileUpload): Promise<void>;
}

/** A file to upload. */
export interface FileUpload {
  /** File name shown in chat, e.g. `job-7.log`. */
  name: string;
  title: string;
  /** Local path to read from. */
  path: string;
}

/** Where a posted message lives. */
export interface MessageRef {
  channelId: string;
  /** Surface id of the message (Slack `ts`). */
  messageId: string;
}

export interface Message {
  /** Plain-text fallback: complete on its own (notifications, screen readers, console). */
  text: string;
  blocks: Block[];
}

export type Block =
  | { kind: 'header'; text: string }
  | { kind: 'text'; text: string } // a paragraph; `code` spans with backticks are allowed
  | { kind: 'code'; text: string } // preformatted, shown verbatim
  | { kind: 'fields'; fields: [label: string, value: string][] }
  | { kind: 'context'; text: string } // small print
  | { kind: 'actions'; buttons: Button[] };

export interface Button {
  /** What the click does; the surface routes it back to services with `value`. */
  action: 'cluster-down' | 'cluster-keep' | 'job-cancel' | 'budget-approve';
  label: string;
  /** Opaque argument, e.g. a cluster id. */
  value: string;
  style?: 'primary' | 'danger';
  /** Ask before acting (Slack confirm dialog). */
  confirm?: { title: string; text: string; confirm: string; deny: string };
}
