/** Composition objects and elements inside blocks: text objects, buttons, confirm dialogs. */

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Characters as a person counts them (code points), not UTF-16 units. */
export function lengthOf(text: string): number {
  return [...text].length;
}

/** A text object: `{ type: 'plain_text' | 'mrkdwn', text }`, text 1..max characters. */
export function textProblem(value: unknown, max: number, where: string, plainOnly = false): string | null {
  if (!isObject(value)) return `${where} must be a text object`;
  const allowed = plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn'];
  if (!allowed.includes(value.type as string)) return `${where}.type must be ${allowed.join(' or ')}`;
  if (typeof value.text !== 'string' || value.text.length === 0) return `${where}.text must not be empty`;
  const length = lengthOf(value.text);
  if (length > max) return `${where}.text is ${length} characters; at most ${max}`;
  return null;
}

export function buttonProblem(button: Record<string, unknown>, where: string): string | null {
  const textIssue = textProblem(button.text, 75, `${where}.text`, true);
  if (textIssue) return textIssue;
  if (button.value !== undefined && (typeof button.value !== 'string' || lengthOf(button.value) > 2000)) {
    return `${where}.value: string of 2000 characters at most`;
  }
  if (button.url !== undefined && (typeof button.url !== 'string' || lengthOf(button.url) > 3000)) {
    return `${where}.url: string of 3000 characters at most`;
  }
  if (button.style !== undefined && button.style !== 'primary' && button.style !== 'danger') {
    return `${where}.style must be primary or danger`;
  }
  return button.confirm === undefined ? null : confirmProblem(button.confirm, `${where}.confirm`);
}

/** Confirmation dialog: title 100, text 300, confirm and deny 30 characters. */
function confirmProblem(confirm: unknown, where: string): string | null {
  if (!isObject(confirm)) return `${where} must be an object`;
  return (
    textProblem(confirm.title, 100, `${where}.title`, true) ??
    textProblem(confirm.text, 300, `${where}.text`) ??
    textProblem(confirm.confirm, 30, `${where}.confirm`, true) ??
    textProblem(confirm.deny, 30, `${where}.deny`, true)
  );
}
