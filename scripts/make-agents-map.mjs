// Rewrites the file map in AGENTS.md ("## src tree"): one line per source file with its exported names and the first
// sentence of the doc comment that describes it (the main export's, else the file's opening one). Run after adding,
// moving or removing files: node scripts/make-agents-map.mjs
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import ts from 'typescript';

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

const isExported = (node) => ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Export;

/** Names a statement exports, in source order. */
function exportedNames(statement) {
  if (ts.isExportDeclaration(statement)) {
    const clause = statement.exportClause;
    if (clause === undefined) return ['*'];
    return ts.isNamedExports(clause) ? clause.elements.map((element) => element.name.text) : [clause.name.text];
  }
  if (ts.isExportAssignment(statement)) return ['default'];
  if (!isExported(statement)) return [];
  if (ts.isVariableStatement(statement)) {
    return statement.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
  }
  return statement.name !== undefined && ts.isIdentifier(statement.name) ? [statement.name.text] : [];
}

/** The first sentence of a doc comment's text, on one line. */
function firstSentence(comment) {
  const text = comment
    .replace(/^\/\*\*|\*\/$/g, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\*\s?/, '').trim())
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  // A sentence ends at a full stop before a space or the end, not inside `e.g.` / `i.e.`.
  const end = text.search(/(?<!\b(?:e\.g|i\.e|etc))\.(\s|$)/);
  return end === -1 ? text : text.slice(0, end + 1);
}

function docCommentBefore(source, node) {
  const ranges = ts.getLeadingCommentRanges(source.text, node.getFullStart()) ?? [];
  const docs = ranges.filter((range) => source.text.startsWith('/**', range.pos));
  const last = docs.at(-1);
  return last === undefined ? null : source.text.slice(last.pos, last.end);
}

function describe(path) {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const names = [];
  let mainDoc = null;
  const stem = basename(path, '.ts')
    .replace(/-(\w)/g, (_, c) => c.toUpperCase())
    .toLowerCase();
  for (const statement of source.statements) {
    const exported = exportedNames(statement);
    names.push(...exported);
    if (mainDoc === null && exported.some((name) => name.toLowerCase() === stem)) {
      mainDoc = docCommentBefore(source, statement);
    }
  }
  // The file's opening comment: the doc comment before its first statement, when one is there.
  const first = source.statements[0];
  const opening = first === undefined ? null : docCommentBefore(source, first);
  const doc = mainDoc ?? opening ?? firstExportDoc(source);
  return { names, summary: doc === null ? '' : firstSentence(doc) };
}

/** The doc comment of the first export that has one, else the first top-level doc comment at all. */
function firstExportDoc(source) {
  const documented = source.statements.flatMap((statement) => {
    const doc = docCommentBefore(source, statement);
    return doc === null ? [] : [{ doc, exported: exportedNames(statement).length > 0 }];
  });
  return (documented.find((entry) => entry.exported) ?? documented[0])?.doc ?? null;
}

const lines = walk(join(root, 'src')).map((path) => {
  const { names, summary } = describe(path);
  const exports = names.length === 0 ? '' : ` (${names.map((name) => `\`${name}\``).join(', ')})`;
  return `- \`${relative(root, path)}\`${exports}:${summary === '' ? '' : ` ${summary}`}`;
});
const agents = readFileSync(join(root, 'AGENTS.md'), 'utf8');
const start = agents.indexOf('## src tree');
const rest = agents.slice(start + '## src tree'.length);
const nextSection = rest.search(/\n## /);
const after = nextSection === -1 ? '' : rest.slice(nextSection);
writeFileSync(join(root, 'AGENTS.md'), `${agents.slice(0, start)}## src tree\n\n${lines.join('\n')}\n${after}`);
console.log(`AGENTS.md: ${String(lines.length)} files`);
