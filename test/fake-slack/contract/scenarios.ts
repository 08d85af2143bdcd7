import type { WebClient } from '@slack/web-api';
import { newTriggerId } from '../ids.ts';
import type { FakeSlack } from '../types.ts';

const CHANNEL = 'C0CONTRACT1';
const section = { type: 'section', text: { type: 'mrkdwn', text: 'hi' } };
const tooMany = Array.from({ length: 51 }, () => section);
const longText = 'x'.repeat(40_001);
const homeView = { type: 'home', blocks: [section] };
const modalView = { type: 'modal', title: { type: 'plain_text', text: 'Modal' }, blocks: [section] };

/**
 * Drives every implemented method through the real WebClient (`apiCall`, the path every typed
 * method takes) into each success and each error the fake declares. Failures are expected and
 * swallowed: the contract test reads the answers back from `fake.calls`.
 */
export async function exerciseEveryMethod(fake: FakeSlack, client: WebClient): Promise<void> {
  const call = (method: string, args: Record<string, unknown>) =>
    client.apiCall(method, args).catch(() => null);
  const post = (args: Record<string, unknown>) => call('chat.postMessage', { channel: CHANNEL, ...args });

  await call('auth.test', {});

  const parent = (await post({ text: 'parent', blocks: [section] })) as unknown as { ts: string };
  await post({ text: 'reply', thread_ts: parent.ts });
  await post({ text: 'x', thread_ts: '1700000000.000100' }); // thread_not_found
  await post({ text: 'x', thread_ts: 'nope' }); // invalid_thread_ts
  await post({ channel: 'C0MISSING01', text: 'x' }); // channel_not_found
  await post({ channel: 'C0ARCHIVED1', text: 'x' }); // is_archived
  await post({ channel: 'C0NOBOT0001', text: 'x' }); // not_in_channel
  await post({ text: longText }); // msg_too_long
  await post({ text: '' }); // no_text
  await post({ text: 'x', blocks: tooMany }); // invalid_blocks

  const update = (args: Record<string, unknown>) =>
    call('chat.update', { channel: CHANNEL, ts: parent.ts, ...args });
  await update({ text: 'edited', blocks: [section] });
  await update({ channel: 'C0MISSING01', text: 'x' });
  await update({ ts: '1700000000.000100', text: 'x' });
  await update({ text: longText });
  await update({ text: '', blocks: [] });
  await update({ text: 'x', blocks: tooMany });

  const ephemeral = (args: Record<string, unknown>) =>
    call('chat.postEphemeral', { channel: CHANNEL, user: 'U0PERSON001', ...args });
  await ephemeral({ text: 'psst' });
  await ephemeral({ channel: 'C0MISSING01', text: 'x' });
  await ephemeral({ channel: 'C0ARCHIVED1', text: 'x' });
  await ephemeral({ user: '', text: 'x' });
  await ephemeral({ text: longText });
  await ephemeral({ text: '' });
  await ephemeral({ text: 'x', blocks: tooMany });

  await call('views.publish', { user_id: 'U0PERSON001', view: homeView });
  await call('views.publish', { user_id: 'U0PERSON001', view: homeView, hash: 'stale' });
  await call('views.publish', { user_id: 'U0PERSON001', view: modalView });

  const trigger = fake.triggerId();
  await call('views.open', { trigger_id: trigger, view: modalView });
  await call('views.open', { trigger_id: trigger, view: modalView }); // exchanged
  await call('views.open', { trigger_id: newTriggerId(Date.now() - 60_000), view: modalView });
  await call('views.open', { trigger_id: '1.2.3', view: modalView });
  await call('views.open', { trigger_id: fake.triggerId(), view: homeView });

  await exerciseFiles(call, parent.ts);
}

async function exerciseFiles(
  call: (m: string, a: Record<string, unknown>) => Promise<unknown>,
  threadTs: string,
) {
  const reserved = (await call('files.getUploadURLExternal', { filename: 'a.log', length: 2 })) as {
    upload_url: string;
    file_id: string;
  };
  await call('files.getUploadURLExternal', { filename: '', length: 2 });
  await call('files.getUploadURLExternal', { filename: 'a.log', length: 0 });
  const files = [{ id: reserved.file_id }];
  await call('files.completeUploadExternal', { files }); // file_not_found: no bytes yet
  await fetch(reserved.upload_url, { method: 'POST', body: 'ok' });
  await call('files.completeUploadExternal', { files, channel_id: CHANNEL, thread_ts: threadTs });
  await call('files.completeUploadExternal', { files: [] });
  await call('files.completeUploadExternal', { files, channel_id: 'nowhere' });
  await call('files.completeUploadExternal', { files, channel_id: CHANNEL, thread_ts: '1700000000.000100' });
}

/** Requests the WebClient never sends, for the errors Slack gives malformed ones. */
export async function exerciseMalformedRequests(fake: FakeSlack): Promise<void> {
  const send = (contentType: string | null, body: string | Uint8Array, token = fake.token) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (contentType) headers['Content-Type'] = contentType;
    return fetch(`${fake.apiUrl}auth.test`, { method: 'POST', headers, body });
  };
  const form = 'application/x-www-form-urlencoded';
  await fetch(`${fake.apiUrl}auth.test`, { method: 'POST', body: new URLSearchParams({ x: '1' }) }); // not_authed
  await send(form, 'x=1', 'xoxb-unknown'); // invalid_auth
  await send('application/json', '{'); // invalid_json
  await send('application/json', '[1]'); // json_not_object
  await send('text/csv', 'x'); // invalid_post_type
  await send(null, new Uint8Array([1])); // missing_post_type
  await send('multipart/form-data; boundary=y', '--x\r\nbroken'); // invalid_form_data
}
