import { lengthOf } from './block-elements.ts';
import { blocksProblem } from './blocks.ts';

/** Slack: "the text field … truncate[s] messages containing more than 40,000 characters"; the fake refuses. */
export const MAX_TEXT_CHARACTERS = 40_000;

export type Args = Record<string, unknown>;

export type ContentResult =
  | { ok: true; text: string; blocks?: unknown[] }
  | { ok: false; error: 'no_text' | 'msg_too_long' | 'invalid_blocks'; detail: string };

/** Reads `text` and `blocks` (a JSON string from forms, an array from JSON bodies) and checks the limits. */
export function readContent(args: Args, maxBlocks: number): ContentResult {
  const text = args.text === undefined || args.text === null ? '' : String(args.text);
  const parsed = parseJsonArg(args.blocks);
  if (parsed === INVALID) return { ok: false, error: 'invalid_blocks', detail: 'blocks is not valid JSON' };
  const blocks = Array.isArray(parsed) && parsed.length === 0 ? undefined : parsed;
  if (text === '' && blocks === undefined && !args.attachments) {
    return { ok: false, error: 'no_text', detail: 'neither text nor blocks' };
  }
  if (lengthOf(text) > MAX_TEXT_CHARACTERS) {
    return { ok: false, error: 'msg_too_long', detail: `text is ${lengthOf(text)} characters` };
  }
  if (blocks === undefined) return { ok: true, text };
  const problem = blocksProblem(blocks, maxBlocks);
  if (problem) return { ok: false, error: 'invalid_blocks', detail: problem };
  return { ok: true, text, blocks: blocks as unknown[] };
}

export const INVALID = Symbol('invalid JSON');

/** A structured argument: form bodies carry it as a JSON string, JSON bodies as the value itself. */
export function parseJsonArg(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return INVALID;
  }
}

/** A string argument, or undefined when absent or empty. */
export function stringArg(args: Args, name: string): string | undefined {
  const value = args[name];
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}
