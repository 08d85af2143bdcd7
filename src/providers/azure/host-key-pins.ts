import fs from 'node:fs';
import path from 'node:path';

/**
 * Host keys of Azure nodes, pinned on first contact. Azure makes a VM's host key at its first
 * boot and offers no API for it, so the bot reads it from the node's first SSH handshake (right
 * after the VM was created, through the NSG that only the allowed sources pass) and from then
 * on accepts only that key at that endpoint. A new VM behind the same NAT port (after a
 * shrink and a grow) is pinned afresh: pins are per VM id.
 *
 * Kept in one JSON file per cluster in `dir`, so a restarted bot keeps its pins.
 */
export class HostKeyPins {
  readonly #dir: string;
  /** clusterId → endpoint (`host:port`) → pin. */
  readonly #clusters = new Map<string, Map<string, { vmId: string; key: string }>>();

  constructor(dir: string) {
    this.#dir = dir;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.host-keys.json'))) {
      try {
        const entries = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<
          string,
          { vmId: string; key: string }
        >;
        this.#clusters.set(file.replace(/\.host-keys\.json$/, ''), new Map(Object.entries(entries)));
      } catch {
        // an unreadable pin file pins nothing: its nodes are pinned again on next contact
      }
    }
  }

  /** The key pinned for the VM at `endpoint`; null when none (or another VM is there now). */
  get(clusterId: string, endpoint: string, vmId: string): string | null {
    const pin = this.#clusters.get(clusterId)?.get(endpoint);
    return pin && pin.vmId === vmId ? pin.key : null;
  }

  /** The keys accepted at `host:port`: what is pinned there, or null for no node of ours. */
  lookup(host: string, port: number): readonly string[] | null {
    for (const pins of this.#clusters.values()) {
      const pin = pins.get(`${host}:${port}`);
      if (pin) return [pin.key];
    }
    return null;
  }

  set(clusterId: string, endpoint: string, vmId: string, key: string): void {
    const pins = this.#clusters.get(clusterId) ?? new Map<string, { vmId: string; key: string }>();
    pins.set(endpoint, { vmId, key });
    this.#clusters.set(clusterId, pins);
    const file = path.join(this.#dir, `${clusterId}.host-keys.json`);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(Object.fromEntries(pins), null, 2), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }

  /** Forgets a deleted cluster's pins. */
  forget(clusterId: string): void {
    this.#clusters.delete(clusterId);
    fs.rmSync(path.join(this.#dir, `${clusterId}.host-keys.json`), { force: true });
  }
}
