import readline from 'node:readline';
import { trimCommandText } from '../../commands/index.ts';
import type { Dispatcher } from '../../services/dispatcher.ts';
import type { Actor } from '../../services/actor.ts';
import type { ConsoleChat } from './console-chat.ts';

export interface ConsoleSurfaceOptions {
  input: NodeJS.ReadableStream;
  /** Echo each command before its answer (when input is piped, not typed). */
  echo: boolean;
  actor: Actor;
  dispatcher: Dispatcher;
  chat: ConsoleChat;
  write: (text: string) => void;
  /** Stops reading input (a signal): resolves after the command in hand, as at end of input. */
  abortSignal?: AbortSignal;
}

/**
 * Each input line is a command as typed in Slack (`/mpi up 2`). Lines are handled in order;
 * slow work continues in the background like in Slack. Resolves at end of input.
 */
export async function runConsole(options: ConsoleSurfaceOptions): Promise<void> {
  const lines = readline.createInterface({ input: options.input, terminal: false });
  options.abortSignal?.addEventListener('abort', () => lines.close(), { once: true });
  for await (const raw of lines) {
    if (options.abortSignal?.aborted) break;
    // The same trim as every surface's: `raw.trim()` would drop a trailing U+FEFF that the
    // same text over Slack is refused for.
    const line = trimCommandText(raw);
    if (line === '' || line.startsWith('#')) continue;
    if (options.echo) options.write(`> ${line}\n`);
    if (!/^\/mpi(\s|$)/.test(line)) {
      options.write('Type a command as you would in Slack, e.g. `/mpi help` or `/mpi up 2 demo`.\n\n');
      continue;
    }
    const reply = await options.dispatcher.command(options.actor, line);
    if (reply.visibility === 'ephemeral')
      await options.chat.ephemeral(options.actor.channelId, options.actor.userId, reply.message);
    else await options.chat.post(options.actor.channelId, reply.message);
  }
}
