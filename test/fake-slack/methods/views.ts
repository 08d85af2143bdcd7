import { isObject, lengthOf, textProblem } from '../block-elements.ts';
import { blocksProblem, MAX_VIEW_BLOCKS } from '../blocks.ts';
import { parseJsonArg, stringArg } from '../content.ts';
import { FAKE_IDENTITY } from '../identity.ts';
import { TRIGGER_LIFETIME_IN_MS, triggerIssuedAtMs } from '../ids.ts';
import { fail, ok } from '../reply.ts';
import type { SlackState } from '../state.ts';
import type { ViewRecord } from '../types.ts';
import type { MethodSpec } from './method.ts';

export const viewsPublish: MethodSpec = {
  errors: ['invalid_arguments', 'hash_conflict'],
  handle({ args, state }) {
    const userId = stringArg(args, 'user_id');
    if (!userId) return fail('invalid_arguments', 'user_id is required');
    const view = parseJsonArg(args.view);
    const problem = viewProblem(view, 'home');
    if (problem) return fail('invalid_arguments', problem);
    const current = [...state.views].reverse().find((v) => v.type === 'home' && v.userId === userId);
    const hash = stringArg(args, 'hash');
    if (hash && current && current.hash !== hash)
      return fail('hash_conflict', 'the App Home changed meanwhile');

    const record = newRecord(state, 'home', view as Record<string, unknown>, current?.id);
    state.views.push({ ...record, userId });

    return ok({ view: viewBody(state, record) });
  },
};

export const viewsOpen: MethodSpec = {
  errors: ['invalid_arguments', 'invalid_trigger_id', 'expired_trigger_id', 'exchanged_trigger_id'],
  handle({ args, state, nowMs }) {
    const triggerId = stringArg(args, 'trigger_id');
    if (!triggerId) return fail('invalid_arguments', 'trigger_id is required');
    const issuedAtMs = triggerIssuedAtMs(triggerId);
    if (issuedAtMs === null) return fail('invalid_trigger_id', `${triggerId} was not issued by the fake`);
    if (state.usedTriggers.has(triggerId)) return fail('exchanged_trigger_id', 'trigger_id already used');
    if (nowMs - issuedAtMs > TRIGGER_LIFETIME_IN_MS) {
      return fail('expired_trigger_id', `trigger_id is ${nowMs - issuedAtMs} ms old`);
    }
    const view = parseJsonArg(args.view);
    const problem = viewProblem(view, 'modal');
    if (problem) return fail('invalid_arguments', problem);

    state.usedTriggers.add(triggerId);
    const record = newRecord(state, 'modal', view as Record<string, unknown>);
    state.views.push({ ...record, triggerId });

    return ok({ view: viewBody(state, record) });
  },
};

/** View limits from Slack's view reference: 100 blocks, modal titles and buttons 24 characters. */
function viewProblem(view: unknown, type: 'home' | 'modal'): string | null {
  if (!isObject(view)) return 'view must be a JSON object';
  if (view.type !== type) return `view.type must be ${type}`;
  const blocks = blocksProblem(view.blocks, MAX_VIEW_BLOCKS);
  if (blocks) return blocks;
  if (typeof view.private_metadata === 'string' && lengthOf(view.private_metadata) > 3000) {
    return 'private_metadata: 3000 characters at most';
  }
  if (type === 'home') return null;
  const hasInput = (view.blocks as Record<string, unknown>[]).some((b) => b.type === 'input');
  if (hasInput && view.submit === undefined) return 'a modal with input blocks needs submit';
  return (
    textProblem(view.title, 24, 'title', true) ??
    (view.submit === undefined ? null : textProblem(view.submit, 24, 'submit', true)) ??
    (view.close === undefined ? null : textProblem(view.close, 24, 'close', true))
  );
}

function newRecord(
  state: SlackState,
  type: 'home' | 'modal',
  view: Record<string, unknown>,
  id = state.nextId('V'),
): ViewRecord {
  return { id, type, view, hash: `${Date.now()}.${state.nextId('H').toLowerCase()}` };
}

/** The view object Slack returns, with the fields it fills in itself. */
function viewBody(state: SlackState, record: ViewRecord): Record<string, unknown> {
  const { view } = record;
  return {
    id: record.id,
    team_id: state.bot.teamId,
    type: record.type,
    ...view,
    private_metadata: view.private_metadata ?? '',
    callback_id: view.callback_id ?? '',
    external_id: view.external_id ?? '',
    state: { values: {} },
    hash: record.hash,
    clear_on_close: view.clear_on_close ?? false,
    notify_on_close: view.notify_on_close ?? false,
    root_view_id: record.id,
    previous_view_id: null,
    app_id: FAKE_IDENTITY.appId,
    app_installed_team_id: state.bot.teamId,
    bot_id: state.bot.botId,
  };
}
