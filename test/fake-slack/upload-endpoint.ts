import type { IncomingMessage } from 'node:http';
import { contentTypeOf, formDataOf } from './http-io.ts';
import type { Reply } from './reply.ts';
import type { SlackState } from './state.ts';

/**
 * Step 2 of Slack's external upload: the bytes, POSTed to the `upload_url`. Accepts a raw body
 * or multipart/form-data (the WebClient's files.uploadV2 sends a form with one file field named
 * `body`). Answers text, as files.slack.com does: "OK - <bytes>".
 */
export async function answerUpload(
  state: SlackState,
  fileId: string,
  req: IncomingMessage,
  raw: Buffer,
): Promise<{ body: Record<string, unknown>; reply: Reply }> {
  const type = contentTypeOf(req);
  const bytes = type === 'multipart/form-data' ? await fileFromForm(raw, req) : raw;
  const body = { file_id: fileId, content_type: type, bytes: bytes?.length ?? 0 };
  const file = state.files.find((f) => f.id === fileId);
  if (!file) return { body, reply: textReply(404, 'file_not_found', `no upload ticket ${fileId}`) };
  if (!bytes) return { body, reply: textReply(400, 'no_file', 'multipart body without a file') };
  if (file.bytes) return { body, reply: textReply(400, 'already_uploaded', `${fileId} has its bytes`) };
  if (bytes.length !== file.length) {
    const detail = `announced ${file.length} bytes, received ${bytes.length}`;
    return { body, reply: textReply(400, 'length_mismatch', detail) };
  }

  file.bytes = bytes;

  return { body, reply: { status: 200, body: `OK - ${bytes.length}` } };
}

async function fileFromForm(raw: Buffer, req: IncomingMessage): Promise<Buffer | null> {
  const form = await formDataOf(raw, req.headers['content-type'] ?? '');
  const file = [...form.values()].find((value) => typeof value !== 'string');
  return file ? Buffer.from(await file.arrayBuffer()) : null;
}

function textReply(status: number, error: string, detail: string): Reply {
  return { status, body: error, detail };
}
