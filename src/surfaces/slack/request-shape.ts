import { z } from 'zod';

/**
 * What a request Slack signed must look like before Bolt or our listeners see it. Bolt reads
 * bodies without checking them: a `null` body throws outside any handler (the process dies),
 * a missing `user_id` reaches the store, a click without a user fails in Bolt's router. So
 * each kind mpibox serves is checked here for the fields Bolt and our listeners read; fields
 * we do not read may be anything (Slack adds new ones).
 */

/** A Slack id (user U…/W…, channel C…/G…/D…): also what keeps a mention `<@…>` well formed. */
const SlackId = z.string().regex(/^[A-Z0-9]{1,64}$/);
const Url = z.url({ protocol: /^https?$/ });

/** A slash command's form fields (all strings; a repeated key would be an array). */
const SlashCommand = z.object({
  command: z.string().regex(/^\/\S+$/),
  text: z.string(),
  user_id: SlackId,
  user_name: z.string().optional(),
  channel_id: SlackId,
  response_url: Url,
});

/** A button click: Bolt routes on `actions[0]`, reads `team` or `user.team_id`. */
const BlockActions = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: SlackId, name: z.string().optional(), team_id: z.string().optional() }),
  team: z.object({ id: z.string() }).nullish(),
  actions: z
    .array(z.object({ type: z.string(), action_id: z.string(), value: z.string().optional() }))
    .min(1),
  channel: z.object({ id: SlackId }).nullish(),
  response_url: Url.optional(),
});

/** The one event mpibox subscribes to (manifest.yml). */
const AppHomeOpened = z.object({
  type: z.literal('event_callback'),
  event: z.object({ type: z.literal('app_home_opened'), user: SlackId, tab: z.string() }),
});

/** Slack's check of a new Request URL; Bolt answers it with the challenge. */
const UrlVerification = z.object({ type: z.literal('url_verification'), challenge: z.string() });

/**
 * `serve`: hand it to Bolt (`isCommand`: a slash command, whose answer is JSON). `ignore`:
 * well formed but nothing mpibox serves (an event it never subscribed to, such as
 * `app_uninstalled`): answer with an empty 200, so Slack does not send it again.
 * `malformed`: answer 400; `problem` names the fields, never their values.
 */
export type RequestVerdict =
  { kind: 'serve'; isCommand: boolean } | { kind: 'ignore' } | { kind: 'malformed'; problem: string };

/** Judges a parsed request body (form fields, or the JSON of a body or of `payload=`). */
export function judgeRequest(body: unknown): RequestVerdict {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { kind: 'malformed', problem: 'not an object' };
  const fields = body as Record<string, unknown>;
  // Form bodies carry no `type`; Bolt takes any body with a `command` for a slash command.
  if ('command' in fields) return verdict(SlashCommand, fields, true);
  switch (fields.type) {
    case 'block_actions':
      return verdict(BlockActions, fields, false);
    case 'url_verification':
      return verdict(UrlVerification, fields, false);
    case 'event_callback': {
      const event = fields.event as { type?: unknown } | null | undefined;
      const other =
        typeof event === 'object' &&
        event !== null &&
        typeof event.type === 'string' &&
        event.type !== 'app_home_opened';
      return other ? { kind: 'ignore' } : verdict(AppHomeOpened, fields, false);
    }
    default:
      return { kind: 'malformed', problem: 'not a kind of request mpibox serves' };
  }
}

function verdict(schema: z.ZodType, body: Record<string, unknown>, isCommand: boolean): RequestVerdict {
  const parsed = schema.safeParse(body);
  if (parsed.success) return { kind: 'serve', isCommand };
  const problem = parsed.error.issues
    .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.code}`)
    .join('; ');
  return { kind: 'malformed', problem };
}
