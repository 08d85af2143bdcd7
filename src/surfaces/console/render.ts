import type { Block, Message } from '../../ports/chat.ts';

/** Renders a surface-neutral message as plain text for a terminal. */
export function renderText(message: Message): string {
  const out: string[] = [];
  for (const block of message.blocks) out.push(...renderBlock(block));
  return out.join('\n').replace(/<@([^>]+)>/g, '@$1');
}

function renderBlock(block: Block): string[] {
  switch (block.kind) {
    case 'header':
      return [`== ${block.text} ==`];
    case 'text':
      return [block.text];
    case 'code':
      return block.text.split('\n').map((line) => `    ${line}`);
    case 'fields':
      return [block.fields.map(([label, value]) => `${label}: ${value}`).join(' | ')];
    case 'context':
      return [`  (${block.text})`];
    case 'actions':
      return [
        `  buttons: ${block.buttons.map((button) => `[${button.label}]`).join(' ')} ` +
          '(in the console, type the matching command instead)',
      ];
  }
}
