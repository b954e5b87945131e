// Rewrites the file map in AGENTS.md ("## src tree"): one line per source file with the first line of its first
// doc comment. Run after adding, moving or removing files: node scripts/make-agents-map.mjs
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function walk(dir) {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => {
    if (a.isDirectory() !== b.isDirectory()) return a.isDirectory() ? 1 : -1;
    return a.name.localeCompare(b.name);
  });
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return walk(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function summary(path) {
  const match = /\/\*\*\s*\n?\s*\*?\s*([^\n]*)/.exec(readFileSync(path, 'utf8'));
  return match === null ? '' : match[1].replace(/\*\/\s*$/, '').trim();
}

const lines = walk(join(root, 'src')).map((path) => {
  const text = summary(path);
  return `- \`${relative(root, path)}\`:${text === '' ? '' : ` ${text}`}`;
});
const agents = readFileSync(join(root, 'AGENTS.md'), 'utf8');
const start = agents.indexOf('## src tree');
const rest = agents.slice(start + '## src tree'.length);
const nextSection = rest.search(/\n## /);
const after = nextSection === -1 ? '' : rest.slice(nextSection);
writeFileSync(join(root, 'AGENTS.md'), `${agents.slice(0, start)}## src tree\n\n${lines.join('\n')}\n${after}`);
console.log(`AGENTS.md: ${String(lines.length)} files`);
