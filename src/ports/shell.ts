/** Runs commands on cluster nodes over SSH, as the bot. */
export interface Shell {
  /**
   * Runs `command` through the node's login shell and collects its output (UTF-8, capped at
   * `maxOutputBytes`, default 1 MiB). Rejects with MpiboxError('provider') when the node
   * cannot be reached or refuses the bot's key, and 'timeout' after `timeoutInMs`.
   */
  exec(target: SshTarget, command: string, options: ExecOptions): Promise<ExecResult>;
}

/** A node's SSH endpoint. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
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
