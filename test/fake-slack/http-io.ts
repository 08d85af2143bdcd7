import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Args } from './content.ts';
import type { Reply } from './reply.ts';

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function contentTypeOf(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Multipart bodies parsed by the platform's own FormData reader (undici), as fetch would. */
export async function formDataOf(raw: Buffer, contentType: string): Promise<FormData> {
  return new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
}

/**
 * Web API arguments from the query string and a form, JSON or multipart body, with the error
 * codes Slack documents for malformed requests.
 */
export async function parseArgs(
  req: IncomingMessage,
  raw: Buffer,
  query: URLSearchParams,
): Promise<{ args: Args } | { error: string }> {
  const args: Args = Object.fromEntries(query);
  if (raw.length === 0) return { args };
  const type = contentTypeOf(req);
  if (type === 'application/x-www-form-urlencoded') {
    return { args: { ...args, ...Object.fromEntries(new URLSearchParams(raw.toString('utf8'))) } };
  }
  if (type === 'application/json') return parseJsonBody(raw, args);
  if (type === 'multipart/form-data') {
    try {
      const form = await formDataOf(raw, req.headers['content-type'] ?? '');
      const fields = [...form].filter(([, value]) => typeof value === 'string');
      return { args: { ...args, ...Object.fromEntries(fields) } };
    } catch {
      return { error: 'invalid_form_data' };
    }
  }
  return { error: type === '' ? 'missing_post_type' : 'invalid_post_type' };
}

function parseJsonBody(raw: Buffer, args: Args): { args: Args } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    return { error: 'invalid_json' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { error: 'json_not_object' };
  return { args: { ...args, ...(parsed as Args) } };
}

/** The bot token: `Authorization: Bearer …`, or a `token` form field (Slack accepts both for forms). */
export function tokenOf(req: IncomingMessage, args: Args): string | undefined {
  const header = req.headers.authorization;
  if (header) return /^Bearer\s+(.+)$/i.exec(header)?.[1] ?? header;
  return typeof args.token === 'string' && args.token !== '' ? args.token : undefined;
}

export function send(res: ServerResponse, reply: Reply): void {
  const isText = typeof reply.body === 'string';
  res.writeHead(reply.status, {
    'Content-Type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    ...reply.headers,
  });
  res.end(isText ? reply.body : JSON.stringify(reply.body));
}
