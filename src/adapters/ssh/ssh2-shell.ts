import { MpiboxError } from '../../domain/errors.ts';
import type { ExecOptions, ExecResult, KnownHostKeys, Shell, SshTarget } from '../../ports/shell.ts';
import ssh2 from 'ssh2';
import { connect, exitCodeOf, onChannelClose, openExec } from './connect.ts';

/** Shell over the `ssh2` library, authenticating with the bot's private key. */
export class Ssh2Shell implements Shell {
  readonly #privateKey: Buffer;
  readonly #knownHostKeys: KnownHostKeys;

  constructor(privateKey: Buffer, knownHostKeys: KnownHostKeys) {
    this.#privateKey = privateKey;
    this.#knownHostKeys = knownHostKeys;
  }

  scanHostKey(host: string, port: number, timeoutInMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const client = new ssh2.Client();
      let seen: Buffer | null = null;
      const timer = setTimeout(() => {
        client.destroy();
        reject(new MpiboxError('timeout', 'no host key in time', { host, port, timeoutInMs }));
      }, timeoutInMs);
      const done = (): void => {
        clearTimeout(timer);
        client.destroy();
        if (seen) resolve(hostKeyLine(seen));
      };
      // The handshake ends at the host key: refusing it closes the connection, nothing logs in.
      client.on('error', (error: Error) => {
        done();
        if (!seen)
          reject(new MpiboxError('provider', 'ssh connection failed', { host, port, reason: error.message }));
      });
      client.connect({
        host,
        port,
        username: 'mpibox-host-key-scan',
        readyTimeout: timeoutInMs,
        hostVerifier: (key: Buffer): boolean => {
          seen = key;
          return false;
        },
      });
    });
  }

  async exec(target: SshTarget, command: string, options: ExecOptions): Promise<ExecResult> {
    const where = { host: target.host, port: target.port };
    options.abortSignal?.throwIfAborted();
    // Owns the connection: aborted when exec settles, which closes it whether it is open or
    // still in its handshake (connect() may resolve after the timeout won the race).
    const connection = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new MpiboxError('timeout', 'ssh command timed out', {
              ...where,
              timeoutInMs: options.timeoutInMs,
            }),
          ),
        options.timeoutInMs,
      );
      onAbort = () => reject(new MpiboxError('timeout', 'ssh command aborted', where));
      options.abortSignal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const run = async (): Promise<ExecResult> => {
        const client = await connect(target, this.#privateKey, {
          readyTimeoutInMs: Math.min(options.timeoutInMs, 20_000),
          knownHostKeys: this.#knownHostKeys,
          abortSignal: connection.signal,
        });
        const channel = await openExec(client, command, target);
        return collect(channel, options.maxOutputBytes ?? 1024 * 1024, options.stdin);
      };
      return await Promise.race([run(), stop]);
    } finally {
      clearTimeout(timer);
      if (onAbort) options.abortSignal?.removeEventListener('abort', onAbort);
      connection.abort();
    }
  }
}

/** Reads a channel to its end, keeping at most `maxBytes` of stdout and of stderr. */
function collect(
  channel: Awaited<ReturnType<typeof openExec>>,
  maxBytes: number,
  stdin: string | undefined,
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    channel.on('data', (chunk: Buffer) => {
      if (outBytes < maxBytes) out.push(chunk.subarray(0, maxBytes - outBytes));
      outBytes += chunk.length;
    });
    channel.stderr.on('data', (chunk: Buffer) => {
      if (errBytes < maxBytes) err.push(chunk.subarray(0, maxBytes - errBytes));
      errBytes += chunk.length;
    });
    onChannelClose(channel, () =>
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode: exitCodeOf(channel),
      }),
    );
    channel.end(stdin ?? '');
  });
}

/** `<type> <base64>` of a raw SSH public key blob (its type is the blob's first string). */
function hostKeyLine(blob: Buffer): string {
  const length = blob.readUInt32BE(0);
  const type = blob.subarray(4, 4 + length).toString('ascii');
  return `${type} ${blob.toString('base64')}`;
}
