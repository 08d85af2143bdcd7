import { randomBytes } from 'node:crypto';

/** Message timestamps: "<epoch seconds>.<microseconds>", unique and increasing, as Slack issues them. */
export function tsMint(): () => string {
  let lastMicros = 0;
  return () => {
    lastMicros = Math.max(Date.now() * 1000, lastMicros + 100);
    const seconds = Math.floor(lastMicros / 1_000_000);
    const micros = lastMicros % 1_000_000;
    return `${seconds}.${String(micros).padStart(6, '0')}`;
  };
}

/** Slack-shaped ids: a prefix letter then upper-case base 36, e.g. `F00000000A1`. */
export function idMint(): (prefix: string) => string {
  let next = 1;
  return (prefix) => `${prefix}${(next++).toString(36).toUpperCase().padStart(10, '0')}`;
}

/** Slack says a trigger_id expires 3 seconds after the interaction and can be used once. */
export const TRIGGER_LIFETIME_IN_MS = 3000;

/**
 * A trigger_id shaped like Slack's (`<digits>.<digits>.<hex>`). The first part is the issue
 * time in epoch ms, so the fake can tell its age without having minted it.
 */
export function newTriggerId(issuedAtMs: number = Date.now()): string {
  return `${Math.floor(issuedAtMs)}.${randomBytes(4).readUInt32BE()}.${randomBytes(12).toString('hex')}`;
}

/** Issue time of a trigger_id made by `newTriggerId`, or null when the id is not of that shape. */
export function triggerIssuedAtMs(triggerId: string): number | null {
  const match = /^(\d{13})\.\d+\.[0-9a-f]+$/.exec(triggerId);
  return match ? Number(match[1]) : null;
}
