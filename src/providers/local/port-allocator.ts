import net from 'node:net';

/**
 * Picks `count` free TCP ports on 127.0.0.1 at or above `basePort`, skipping `taken` (ports
 * other clusters hold even while their sshd is down) and any port something else listens on.
 */
export async function allocatePorts(
  basePort: number,
  count: number,
  taken: ReadonlySet<number>,
): Promise<number[]> {
  const ports: number[] = [];
  for (let port = basePort; ports.length < count && port <= 65_535; port += 1) {
    if (taken.has(port)) continue;
    if (await canListen(port)) ports.push(port);
  }
  if (ports.length < count) throw new Error(`only ${ports.length} free ports at or above ${basePort}`);
  return ports;
}

/** True when nothing listens on 127.0.0.1:`port` (we can bind it ourselves). */
export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
