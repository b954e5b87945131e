import type { PromptSet } from './prompt-spec.ts';

/**
 * Reads back which prompt made a custom_id, from the set's custom_id format (the inverse of `formatCustomId`):
 * `{prompt}` is one of the set's names, `{index}` digits, `{key}` anything, and a `_s{k}` sample suffix may follow.
 * Longer names are tried first, so `topic` never claims `topic_detail_0001`. Undefined when the format has no
 * `{prompt}` (the ids then say nothing of their prompt: the manifest must be asked).
 */
export function promptOfCustomId(set: PromptSet): ((customId: string) => string | undefined) | undefined {
  const format = set.customIdFormat;
  if (!format.includes('{prompt}')) return undefined;
  const names = set.prompts.map((prompt) => prompt.name).sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  const alternatives = names.map(escapeRegex).join('|');
  let first = true;
  const pattern = format
    .split(/(\{prompt\}|\{index\}|\{key\})/)
    .map((part) => {
      if (part === '{prompt}') {
        if (!first) return '\\1';
        first = false;
        return `(${alternatives})`;
      }
      if (part === '{index}') return '\\d+';
      if (part === '{key}') return '.*?';
      return escapeRegex(part);
    })
    .join('');
  const regex = new RegExp(`^${pattern}(?:_s\\d+)?$`, 's');
  return (customId) => regex.exec(customId)?.[1];
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
