/**
 * Block Kit checks for the limits Slack documents in its block reference (docs.slack.dev →
 * Block Kit → Blocks). Returns a sentence naming the first problem, or null. Deliberately not a
 * full schema: only rules we are sure of, so the fake never rejects what Slack accepts.
 */
import { buttonProblem, isObject, lengthOf, textProblem } from './block-elements.ts';

export const MAX_MESSAGE_BLOCKS = 50;
export const MAX_VIEW_BLOCKS = 100;

type Check = (block: Record<string, unknown>) => string | null;

/** Elements both an `actions` block and a section's `accessory` accept (Block Kit reference). */
const COMMON_ELEMENTS = [
  'button',
  'checkboxes',
  'datepicker',
  'multi_static_select',
  'multi_external_select',
  'multi_users_select',
  'multi_conversations_select',
  'multi_channels_select',
  'overflow',
  'radio_buttons',
  'static_select',
  'external_select',
  'users_select',
  'conversations_select',
  'channels_select',
  'timepicker',
  'workflow_button',
];

/** Interactive elements Slack allows in an `actions` block ("Actions" block reference). */
const ACTION_ELEMENTS = new Set([
  ...COMMON_ELEMENTS,
  'datetimepicker',
  'rich_text_input',
  'feedback_buttons',
  'icon_button',
]);

/** Elements Slack allows as a section's `accessory` ("Section" block reference). */
const ACCESSORY_ELEMENTS = new Set([...COMMON_ELEMENTS, 'image']);

const CHECKS: Record<string, Check> = {
  section: (b) => {
    if (b.text === undefined && b.fields === undefined) return 'section needs text or fields';
    if (b.accessory !== undefined) {
      const type = isObject(b.accessory) ? b.accessory.type : undefined;
      if (typeof type !== 'string' || !ACCESSORY_ELEMENTS.has(type))
        return `accessory: ${JSON.stringify(type)} is not an element a section accepts`;
      if (type === 'button') {
        const problem = buttonProblem(b.accessory as Record<string, unknown>, 'accessory');
        if (problem) return problem;
      }
    }
    if (b.text !== undefined) return textProblem(b.text, 3000, 'text');
    return listProblem(b.fields, 10, 'fields', (f, where) => textProblem(f, 2000, where));
  },
  header: (b) => textProblem(b.text, 150, 'text', true),
  divider: () => null,
  context: (b) => listProblem(b.elements, 10, 'elements', contextElementProblem),
  actions: (b) => listProblem(b.elements, 25, 'elements', actionElementProblem) ?? duplicateActionId(b),
  image: (b) => {
    if (typeof b.image_url !== 'string' && !isObject(b.slack_file)) return 'image needs image_url';
    if (typeof b.alt_text !== 'string' || lengthOf(b.alt_text) > 2000)
      return 'alt_text: string of 2000 at most';
    return null;
  },
  markdown: (b) =>
    typeof b.text === 'string' && lengthOf(b.text) <= 12000
      ? null
      : 'markdown text: 12000 characters at most',
  rich_text: (b) => (Array.isArray(b.elements) ? null : 'rich_text needs elements'),
  input: (b) =>
    textProblem(b.label, 2000, 'label', true) ?? (isObject(b.element) ? null : 'input needs element'),
  file: (b) =>
    typeof b.external_id === 'string' && b.source === 'remote'
      ? null
      : 'file needs external_id and source "remote"',
  video: (b) =>
    ['alt_text', 'thumbnail_url', 'video_url'].every((key) => typeof b[key] === 'string') && isObject(b.title)
      ? null
      : 'video needs alt_text, title, thumbnail_url and video_url',
  table: (b) => (Array.isArray(b.rows) ? null : 'table needs rows'),
  context_actions: (b) => (Array.isArray(b.elements) ? null : 'context_actions needs elements'),
};

export function blocksProblem(blocks: unknown, maxBlocks: number): string | null {
  if (!Array.isArray(blocks)) return 'blocks must be a JSON array';
  if (blocks.length > maxBlocks) return `${blocks.length} blocks; at most ${maxBlocks}`;
  const blockIds = new Set<string>();
  for (const [index, block] of blocks.entries()) {
    const problem = blockProblem(block, blockIds);
    if (problem) return `blocks[${index}]: ${problem}`;
  }
  return null;
}

function blockProblem(block: unknown, blockIds: Set<string>): string | null {
  if (!isObject(block) || typeof block.type !== 'string') return 'a block is an object with a type';
  const check = CHECKS[block.type];
  if (!check) return `unknown block type ${JSON.stringify(block.type)}`;
  if (block.block_id !== undefined) {
    if (typeof block.block_id !== 'string' || lengthOf(block.block_id) > 255) return 'block_id: 255 at most';
    if (blockIds.has(block.block_id)) return `duplicate block_id ${block.block_id}`;
    blockIds.add(block.block_id);
  }
  return check(block);
}

function listProblem(
  list: unknown,
  max: number,
  where: string,
  itemProblem: (item: unknown, where: string) => string | null,
): string | null {
  if (!Array.isArray(list) || list.length === 0) return `${where} must be a non-empty array`;
  if (list.length > max) return `${where} has ${list.length} items; at most ${max}`;
  for (const [index, item] of list.entries()) {
    const problem = itemProblem(item, `${where}[${index}]`);
    if (problem) return problem;
  }
  return null;
}

function contextElementProblem(element: unknown, where: string): string | null {
  if (isObject(element) && element.type === 'image') {
    if (typeof element.image_url !== 'string' && !isObject(element.slack_file))
      return `${where} needs image_url`;
    return typeof element.alt_text === 'string' ? null : `${where} needs alt_text`;
  }
  return textProblem(element, 3000, where);
}

function actionElementProblem(element: unknown, where: string): string | null {
  if (!isObject(element) || typeof element.type !== 'string') return `${where} needs a type`;
  if (!ACTION_ELEMENTS.has(element.type))
    return `${where}: ${JSON.stringify(element.type)} is not an interactive element`;
  if (element.action_id !== undefined) {
    if (typeof element.action_id !== 'string' || lengthOf(element.action_id) > 255) {
      return `${where}.action_id: 255 characters at most`;
    }
  }
  return element.type === 'button' ? buttonProblem(element, where) : null;
}

function duplicateActionId(block: Record<string, unknown>): string | null {
  const ids = (block.elements as Record<string, unknown>[]).map((e) => e.action_id).filter((id) => id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  return duplicate === undefined ? null : `duplicate action_id ${String(duplicate)}`;
}
