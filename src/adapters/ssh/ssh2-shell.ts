import ssh2 from 'ssh2';
import { MpiboxError } from '../../domain/errors.ts';
import type { ExecOptions, ExecResult, Shell, SshTarget } from '../../ports/shell.ts';

/** Shell over the `ssh2` library, authenticating with the bot's private key. */
export class Ssh2Shell implements Shell {
  readonly #privateKey: Buffer;

  constructor(privateKey: Buffer) {
    this.#privateKey = privateKey;
  }

  exec(target: SshTarget, command: string, options: ExecOptions): Promise<ExecResult> {
    const maxOutputBytes = options.maxOutputBytes ?? 1024 * 1024;
    return new Promise((resolve, reject) => {
      const client = new ssh2.Client();
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let outputBytes = 0;
      let settled = false;
      const finish = (error: Error | null, result?: ExecResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.abortSignal?.removeEventListener('abort', onAbort);
        client.end();
        if (error) reject(error);
        else if (result) resolve(result);
      };
      const onAbort = (): void => finish(new MpiboxError('timeout', 'ssh command aborted', endpoint(target)));
      const timer = setTimeout(
        () =>
          finish(
            new MpiboxError('timeout', 'ssh command timed out', {
              ...endpoint(target),
              timeoutInMs: options.timeoutInMs,
            }),
          ),
        options.timeoutInMs,
      );
      if (options.abortSignal?.aborted) return onAbort();
      options.abortSignal?.addEventListener('abort', onAbort, { once: true });

      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        if (outputBytes >= maxOutputBytes) return;
        const room = maxOutputBytes - outputBytes;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        outputBytes += part.length;
        into.push(part);
      };

      client.on('error', (error) =>
        finish(
          new MpiboxError(
            'provider',
            'ssh connection failed',
            { ...endpoint(target), reason: error.message },
            { cause: error },
          ),
        ),
      );
      client.on('ready', () => {
        client.exec(command, (error, stream) => {
          if (error) {
            finish(
              new MpiboxError('provider', 'ssh exec failed', { ...endpoint(target), reason: error.message }),
            );
            return;
          }
          let exitCode: number | null = null;
          stream.on('data', collect(stdout));
          stream.stderr.on('data', collect(stderr));
          stream.on('exit', (code: number | null) => {
            exitCode = typeof code === 'number' ? code : null;
          });
          stream.on('close', () =>
            finish(null, {
              stdout: Buffer.concat(stdout).toString('utf8'),
              stderr: Buffer.concat(stderr).toString('utf8'),
              exitCode,
            }),
          );
        });
      });
      client.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey: this.#privateKey,
        readyTimeout: Math.min(options.timeoutInMs, 20_000),
        // Local and fresh cloud nodes present host keys we have not seen yet; the bot pins
        // nothing today. The channel is still encrypted; only the node's identity is unchecked.
        hostVerifier: () => true,
      });
    });
  }
}

function endpoint(target: SshTarget): Record<string, string | number> {
  return { host: target.host, port: target.port };
}
