/**
 * zod schemas for single command arguments. Each takes the raw token (a string) and either
 * outputs the typed value or fails with a message that completes "<Label> `<token>` …".
 */
import { z } from 'zod';
import { CLUSTER_NAME_PATTERN } from '../domain/cluster.ts';
import { parsePublicKey } from '../domain/ssh-key.ts';

/** A node count: plain decimal digits, 1..maxNodes. No signs, hex, exponents or fractions. */
export function nodeCountSchema(maxNodes: number) {
  const rule = `must be a whole number from 1 to ${maxNodes}`;
  return z
    .string()
    .regex(/^[0-9]+$/, { error: rule })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, { error: rule })
        .max(maxNodes, { error: `is more than the maximum of ${maxNodes} nodes per cluster` }),
    );
}

export const clusterNameSchema = z.string().regex(CLUSTER_NAME_PATTERN, {
  error: 'is not valid: names are a lowercase letter, then 1–30 lowercase letters, digits or dashes',
});

/** A VM size (SKU) such as `Standard_D4s_v5`; the provider checks it exists. */
export const sizeSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, {
  error: 'is not valid: a VM size has up to 64 letters, digits, `_`, `.` or `-`',
});

/**
 * `SHA256:` and 43 unpadded base64 characters (256 bits: the last character carries 2 unused
 * bits, which must be zero, so only 16 characters can end it).
 */
export const fingerprintSchema = z.string().regex(/^SHA256:[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]$/, {
  error: 'is not valid: use the `SHA256:…` fingerprint that `/mpi key list` shows',
});

/** The raw rest of the line after `key add`; the message is parsePublicKey's own. */
export const publicKeySchema = z.string().transform((line, ctx) => {
  const result = parsePublicKey(line);
  if (result.ok) return result.key;
  ctx.issues.push({ code: 'custom', message: result.message, input: line });
  return z.NEVER;
});
