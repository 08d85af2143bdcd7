import ssh2 from 'ssh2';
import { MpiboxError } from '../../domain/errors.ts';
import type { SshTarget } from '../../ports/shell.ts';

export type SshClient = InstanceType<typeof ssh2.Client>;
export type SshChannel = Parameters<Parameters<SshClient['exec']>[1]>[1];

/**
 * Opens an authenticated ssh2 connection. Keepalives make a connection that died silently
 * (node gone, network cut) fail within about 30 s instead of hanging a log follower forever.
 */
export function connect(target: SshTarget, privateKey: Buffer, readyTimeoutInMs: number): Promise<SshClient> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const onError = (error: Error): void => {
      client.end();
      reject(
        new MpiboxError(
          'provider',
          'ssh connection failed',
          { host: target.host, port: target.port, reason: error.message },
          { cause: error },
        ),
      );
    };
    client.once('error', onError);
    client.once('ready', () => {
      client.off('error', onError);
      // Later errors surface through the channel's close; keep them from crashing the process.
      client.on('error', () => undefined);
      resolve(client);
    });
    client.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey,
      readyTimeout: readyTimeoutInMs,
      keepaliveInterval: 10_000,
      keepaliveCountMax: 3,
      // Fresh nodes present host keys nobody has seen yet; the bot pins none today. The
      // channel is still encrypted; only the node's identity is unchecked.
      hostVerifier: () => true,
    });
  });
}

/** Starts `command` on an open connection. */
export function openExec(client: SshClient, command: string, target: SshTarget): Promise<SshChannel> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) {
        reject(
          new MpiboxError('provider', 'ssh exec failed', {
            host: target.host,
            port: target.port,
            reason: error.message,
          }),
        );
      } else {
        resolve(channel);
      }
    });
  });
}
