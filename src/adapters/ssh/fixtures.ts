import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import ssh2 from 'ssh2';
import { makeUserKey } from '../../../test/support/local-fixtures.ts';

/** The in-process SSH server of the adapter tests; see `startSlowSshServer`. */
export interface SlowSshServer {
  /** Port of the relay on 127.0.0.1 (connect here). */
  port: number;
  /** `ssh-ed25519 AAAA… comment` line of the server's host key. */
  hostKeyLine: string;
  /** TCP connections from clients that are still open, as the server side sees them. */
  openConnections(): number;
  close(): Promise<void>;
}

/**
 * An ssh2 Server behind a TCP relay that holds every new connection for `handshakeDelayInMs`
 * before passing bytes either way, so a client's handshake finishes only after that delay.
 * Any login is accepted. `echo WORDS` prints WORDS and exits 0; every other command runs until
 * the client goes away, like `tail --pid` of a running job. Keys come from the stock
 * ssh-keygen (see bot-key.ts for why not ssh2's generator).
 */
export async function startSlowSshServer(dir: string, handshakeDelayInMs: number): Promise<SlowSshServer> {
  const hostKey = makeUserKey(dir, `host_${crypto.randomUUID()}`);
  const server = new ssh2.Server({ hostKeys: [fs.readFileSync(hostKey.privatePath)] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (context) => context.accept());
    client.on('session', (acceptSession) => {
      acceptSession().on('exec', (acceptExec, _reject, info) => {
        const channel = acceptExec();
        if (!info.command.startsWith('echo ')) return;
        channel.write(`${info.command.slice('echo '.length)}\n`);
        channel.exit(0);
        channel.end();
      });
    });
  });
  const serverPort = await listen(server);

  const open = new Set<net.Socket>();
  const relay = net.createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => undefined);
    socket.pause();
    setTimeout(() => {
      if (socket.destroyed) return;
      const upstream = net.connect(serverPort, '127.0.0.1');
      upstream.on('error', () => socket.destroy());
      upstream.on('close', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      socket.pipe(upstream).pipe(socket);
    }, handshakeDelayInMs);
  });
  const port = await listen(relay);

  return {
    port,
    hostKeyLine: hostKey.publicLine,
    openConnections: () => open.size,
    async close() {
      for (const socket of open) socket.destroy();
      await Promise.all([
        new Promise((resolve) => relay.close(resolve)),
        new Promise((resolve) => server.close(resolve)),
      ]);
    },
  };
}

function listen(server: net.Server | InstanceType<typeof ssh2.Server>): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** Polls `condition` every 20 ms until it holds or `timeoutInMs` passes; returns its last value. */
export async function eventually(condition: () => boolean, timeoutInMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutInMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
