import { spawn } from 'node:child_process';
import net from 'node:net';

/** Where a NAT rule's connections go: the machine's sshd (its pid, for its namespaces). */
export interface NatBackend {
  /** Pid of the machine's sshd listener; its namespaces are the machine's. */
  sshdPid: number;
  /** Its sshd_config. */
  sshdConfig: string;
}

/**
 * The load balancer's inbound NAT rule for one machine: 127.0.0.1:<frontend port> here to the
 * machine's sshd. This host has no route into the machines' namespaces (see netns.ts), so each
 * connection is handed, as it is, to an inetd-mode `sshd -i` started inside the machine's
 * namespaces with `nsenter` (the socket is its stdin and stdout): no copying relay in between,
 * so packets reach the client with the timing of a direct connection. The listener stays while
 * the machine is deallocated, as Azure keeps the mapping; connections are then closed at once.
 */
export class NatRelay {
  /** Null while the machine is stopped. */
  backend: NatBackend | null = null;
  readonly #server: net.Server;

  private constructor(server: net.Server) {
    this.#server = server;
    server.on('connection', (socket) => this.#hand(socket));
  }

  /** Listens on the first free port of `ports` (tried in order). */
  static async listen(ports: readonly number[]): Promise<NatRelay> {
    for (const port of ports) {
      const server = net.createServer({ pauseOnConnect: true });
      const bound = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (bound) return new NatRelay(server);
    }
    throw new Error(`no free port for a NAT rule among ${ports.length} tried`);
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    this.backend = null;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #hand(socket: net.Socket): void {
    const backend = this.backend;
    if (!backend) {
      socket.destroy();
      return;
    }
    const child = spawn(
      'nsenter',
      [
        `--target=${backend.sshdPid}`,
        '--net',
        '--uts',
        '--mount',
        '--',
        '/usr/sbin/sshd',
        '-i',
        '-f',
        backend.sshdConfig,
      ],
      { stdio: [socket, socket, 'ignore'] },
    );
    // The child has the socket now; this process lets go of its descriptor without a shutdown.
    socket.destroy();
    child.on('error', () => undefined);
  }
}
