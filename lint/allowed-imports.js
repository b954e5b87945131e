import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * ESLint rule `batchpilot/allowed-imports`: the dependency rules of docs/architecture.md as an allowlist.
 *
 * Each top-level folder of src/ (or top-level file, such as `index.ts`) names what it may import from the rest of
 * src/, as paths relative to src/ with globs (`*` within one path segment, `**` across any number); a pattern that
 * starts with `!` takes paths back out. A file may always import from its own top-level folder. A folder missing
 * from the list may import nothing from src/ outside itself, so a new folder or adapter is refused until someone
 * allows its edges on purpose. Relative specifiers of static imports, re-exports, `import()` and `import('...')`
 * types are checked; package imports are not.
 */
export const allowedImportsRule = {
  meta: {
    type: 'problem',
    docs: { description: 'each folder of src/ imports only what its allowlist names (docs/architecture.md)' },
    schema: [
      {
        type: 'object',
        properties: {
          srcRoot: { type: 'string' },
          allowed: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
        },
        required: ['srcRoot', 'allowed'],
        additionalProperties: false,
      },
    ],
    messages: {
      notAllowed:
        'src/{{from}} may not import src/{{target}}: allowed are {{list}}. Import a contract instead, or allow the edge ' +
        'on purpose in eslint.config.js (allowedImports) and say why in docs/architecture.md (dependency rules).',
      unlisted:
        'src/{{from}} is not in the import allowlist, so it may not import src/{{target}}. Add "{{key}}" to ' +
        'allowedImports in eslint.config.js with what it may import, and to docs/architecture.md (dependency rules).',
    },
  },
  create(context) {
    const { srcRoot, allowed } = context.options[0];
    const fromPath = toSrcPath(srcRoot, context.filename);
    if (fromPath === undefined) return {};
    const from = topLevel(fromPath);
    const patterns = allowed[from];
    const rules = patterns?.map((pattern) =>
      pattern.startsWith('!')
        ? { allow: false, regex: globToRegex(pattern.slice(1)) }
        : { allow: true, regex: globToRegex(pattern) },
    );

    function check(node, specifier) {
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      const target = toSrcPath(srcRoot, resolve(dirname(context.filename), specifier));
      if (target === undefined || topLevel(target) === from) return;
      if (rules === undefined) {
        context.report({ node, messageId: 'unlisted', data: { from: labelOf(from), key: from, target } });
        return;
      }
      const permitted =
        rules.some((rule) => rule.allow && rule.regex.test(target)) &&
        !rules.some((rule) => !rule.allow && rule.regex.test(target));
      if (!permitted) {
        const list = patterns.length === 0 ? 'none' : patterns.join(', ');
        context.report({ node, messageId: 'notAllowed', data: { from: labelOf(from), target, list } });
      }
    }

    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
      TSImportType: (node) => {
        const literal = node.argument?.literal ?? node.argument;
        if (literal?.type === 'Literal') check(node.argument, literal.value);
      },
    };
  },
};

/** `path` relative to src/ with `/` separators, or undefined when it lies outside src/. */
function toSrcPath(srcRoot, path) {
  const inside = relative(srcRoot, path);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return undefined;
  return inside.split(sep).join('/');
}

/** The allowlist key of a src/ path: its top-level folder, or the file itself at the top (`index.ts`). */
function topLevel(srcPath) {
  return srcPath.split('/')[0];
}

function labelOf(key) {
  return key.includes('.') ? key : `${key}/`;
}

function globToRegex(glob) {
  let source = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index];
    if (char === '*' && glob[index + 1] === '*') {
      source += '.*';
      index++;
    } else if (char === '*') source += '[^/]*';
    else source += char.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
