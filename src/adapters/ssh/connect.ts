import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import { MpiboxError } from '../../domain/errors.ts';
import { shellQuote } from '../../domain/job.ts';
import type { KnownHostKeys, SshTarget } from '../../ports/shell.ts';

export type SshClient = InstanceType<typeof ssh2.Client>;
export type SshChannel = Parameters<Parameters<SshClient['exec']>[1]>[1];

export interface ConnectOptions {
  /** How long the TCP connect, handshake and login may take together. */
  readyTimeoutInMs: number;
  /** The host keys the node may present; anything else is refused. */
  knownHostKeys: KnownHostKeys;
  /**
   * Aborting closes the connection at any time: while it is being made (the promise then
   * rejects with MpiboxError('timeout')) or after it was handed out.
   */
  abortSignal?: AbortSignal;
}

/**
 * Opens an authenticated ssh2 connection. Keepalives make a connection that died silently
 * (node gone, network cut) fail within about 30 s instead of hanging a log follower forever.
 */
export function connect(target: SshTarget, privateKey: Buffer, options: ConnectOptions): Promise<SshClient> {
  const where = { host: target.host, port: target.port };
  const { abortSignal } = options;
  return new Promise((resolve, reject) => {
    if (abortSignal?.aborted) {
      reject(new MpiboxError('timeout', 'ssh connection aborted', where));
      return;
    }
    const client = new ssh2.Client();
    let settled = false;
    let refusal: MpiboxError | null = null;
    // ssh2 may emit several errors for one failure (a handshake timeout, then "connection
    // lost before handshake"), and an 'error' nobody listens to would crash the bot. Errors
    // after `ready` surface through the channel's close.
    client.on('error', (error: Error) => {
      if (settled) return;
      settled = true;
      client.destroy();
      reject(
        refusal ??
          new MpiboxError(
            'provider',
            'ssh connection failed',
            { ...where, reason: error.message },
            { cause: error },
          ),
      );
    });
    client.once('ready', () => {
      if (settled) {
        client.end();
        return;
      }
      settled = true;
      resolve(client);
    });
    // The signal owns the connection for its whole life, so no ordering of abort, timeout
    // and handshake can leave a client (and the node's sshd session) open behind the caller.
    const onAbort = (): void => {
      if (settled) {
        client.end();
        return;
      }
      settled = true;
      client.destroy();
      reject(new MpiboxError('timeout', 'ssh connection aborted', where));
    };
    abortSignal?.addEventListener('abort', onAbort, { once: true });
    client.once('close', () => abortSignal?.removeEventListener('abort', onAbort));
    client.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey,
      readyTimeout: options.readyTimeoutInMs,
      keepaliveInterval: 10_000,
      keepaliveCountMax: 3,
      // Host keys are pinned: a node must present the key its provider made for that
      // host:port (ssh2 passes the raw key blob when `hostHash` is unset). An address the
      // provider does not know is refused too: the bot only connects to its own nodes.
      hostVerifier: (key: Buffer): boolean => {
        refusal = checkHostKey(key, target, options.knownHostKeys);
        return refusal === null;
      },
    });
  });
}

/** Null when `key` is one the provider made for the target; otherwise why it is refused. */
function checkHostKey(key: Buffer, target: SshTarget, knownHostKeys: KnownHostKeys): MpiboxError | null {
  const where = { host: target.host, port: target.port };
  let expected: readonly string[] | null;
  try {
    expected = knownHostKeys(target.host, target.port);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return new MpiboxError('provider', 'host key lookup failed', { ...where, reason }, { cause: error });
  }
  if (expected === null)
    return new MpiboxError('provider', 'host key unknown: not a node of this bot', where);
  if (expected.some((line) => keyBlob(line).equals(key))) return null;
  const fingerprint = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
  return new MpiboxError('provider', 'host key mismatch', { ...where, presented: fingerprint });
}

/** The key blob of an OpenSSH public key line: its second field, base64-decoded. */
function keyBlob(line: string): Buffer {
  return Buffer.from(line.trim().split(/\s+/)[1] ?? '', 'base64');
}

/** How a channel ended, recorded from the moment it opened. */
interface ChannelEnd {
  /** Exit status; null until heard, or when the command died of a signal. */
  exitCode: number | null;
  closed: boolean;
}

const channelEnds = new WeakMap<SshChannel, ChannelEnd>();

/** The exit status a channel from `openExec` reported; null when none (yet, or a signal). */
export function exitCodeOf(channel: SshChannel): number | null {
  return channelEnds.get(channel)?.exitCode ?? null;
}

/** Calls `onClose` once the channel has closed, also when that happened before this call. */
export function onChannelClose(channel: SshChannel, onClose: () => void): void {
  if (channelEnds.get(channel)?.closed) queueMicrotask(onClose);
  else channel.once('close', onClose);
}

/** Starts `command` on an open connection. */
export function openExec(client: SshClient, command: string, target: SshTarget): Promise<SshChannel> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void =>
      reject(
        new MpiboxError('provider', 'ssh exec failed', {
          host: target.host,
          port: target.port,
          reason: error.message,
        }),
      );
    try {
      client.exec(remoteCommand(target, command), (error, channel) => {
        if (error) return fail(error);
        // Listened to here, before the caller's await resumes: when the exec's confirmation and
        // the command's exit status arrive in one TCP read, ssh2 emits `exit` (and even `close`)
        // in the same turn, and a listener attached a microtask later never hears it.
        const state: ChannelEnd = { exitCode: null, closed: false };
        channelEnds.set(channel, state);
        channel.on('exit', (code: number | null) => {
          state.exitCode = typeof code === 'number' ? code : null;
        });
        channel.once('close', () => {
          state.closed = true;
        });
        resolve(channel);
      });
    } catch (error) {
      // ssh2 throws "Not connected" when the connection closed since `ready`.
      fail(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/** The command as the node runs it: as is, or as `target.runAs` through sudo (no prompt). */
export function remoteCommand(target: SshTarget, command: string): string {
  if (target.runAs === undefined) return command;
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(target.runAs))
    throw new MpiboxError('bad-input', 'not a user name', { runAs: target.runAs });
  return `sudo -n -H -u ${target.runAs} -- /bin/sh -c ${shellQuote(command)}`;
}
