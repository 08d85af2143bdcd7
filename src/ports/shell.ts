/** Runs commands on cluster nodes over SSH, as the bot. */
export interface Shell {
  /**
   * Runs `command` through the node's login shell and collects its output (UTF-8, capped at
   * `maxOutputBytes`, default 1 MiB). Rejects with MpiboxError('provider') when the node
   * cannot be reached, refuses the bot's key or presents a host key the bot does not know,
   * and 'timeout' after `timeoutInMs` or on abort. The connection is closed when this settles.
   */
  exec(target: SshTarget, command: string, options: ExecOptions): Promise<ExecResult>;
  /**
   * The host key the server at `host:port` presents, as an OpenSSH public key line
   * (`ssh-ed25519 AAAA…`), read from the handshake without logging in. For pinning a node's
   * key on first contact where the cloud makes the key (Azure); rejects like `exec` when
   * nothing answers in `timeoutInMs`.
   */
  scanHostKey(host: string, port: number, timeoutInMs: number): Promise<string>;
}

/**
 * The host keys the bot accepts from the node at `host:port`: OpenSSH public key lines
 * (`ssh-ed25519 AAAA… comment`) of the keys its provider made for that node, or null when no
 * node of the bot's clusters is there, in which case the bot refuses to connect (it only ever
 * connects to its own nodes). Asked on every connection: a node recreated on the same port
 * has a new key.
 */
export type KnownHostKeys = (host: string, port: number) => readonly string[] | null;

/** A node's SSH endpoint. */
export interface SshTarget {
  host: string;
  port: number;
  /** The login user. */
  user: string;
  /**
   * Run commands as this user instead, through `sudo -n -H -u` (the login user is then an
   * admin: the bot's own login on Azure, which runs jobs as the team's user).
   */
  runAs?: string;
}

export interface ExecOptions {
  timeoutInMs: number;
  maxOutputBytes?: number;
  /** Text sent to the command's standard input, which is then closed. */
  stdin?: string;
  abortSignal?: AbortSignal;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when the remote process died of a signal. */
  exitCode: number | null;
}
