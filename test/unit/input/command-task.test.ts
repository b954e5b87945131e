import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { COMMAND_URL_PREFIX, type CommandTaskTargets } from '../../../src/input/parse-command-task.ts';
import { createLineParser, type LineParser, type ParsedLine } from '../../../src/input/parse-input-line.ts';

const TARGETS: CommandTaskTargets = {
  image: { interactive: false, argv: ['gen', '--prompt', '{prompt}', '--size={size}', '--out', '{output_path}'] },
  video: { interactive: false, argv: ['video.sh', '{custom_id}', '{attempt}'] },
  editor: { interactive: true, argv: ['vim', '{file}'] },
};

/** `null`: no `commandTargets`, as for any other provider. */
function createParser(targets: CommandTaskTargets | null = TARGETS): LineParser {
  return createLineParser({
    format: 'auto',
    messagesKey: 'messages',
    defaults: { model: 'default-model', request: {}, extraBody: {} },
    ...(targets !== null && { commandTargets: targets }),
  });
}

function parseText(parser: LineParser, text: string, lineNo = 1): ParsedLine {
  return parser.parse({ lineNo, byteLength: Buffer.byteLength(text), text });
}

function rejectOf(parsed: ParsedLine): { reason: string; custom_id?: string } {
  assert.equal(parsed.ok, false, 'line should be rejected');
  return parsed.ok ? { reason: '' } : parsed.reject;
}

describe('command task lines', () => {
  it('become a request to command:<target> whose body is the line itself', () => {
    const line = '{"custom_id":"img-1","target":"image","prompt":"a cat","size":"512x512","seed":7}';
    assert.deepEqual(parseText(createParser(), line), {
      ok: true,
      customId: 'img-1',
      request: { method: 'POST', url: `${COMMAND_URL_PREFIX}image`, body: line },
    });
  });

  it('take the custom id from custom_id, else id, else the line number', () => {
    const parser = createParser();
    const ids = [
      '{"custom_id":"a","id":"b","target":"video"}',
      '{"id":"b","target":"video"}',
      '{"id":42,"target":"video"}',
      '{"target":"video"}',
    ].map((line, index) => {
      const parsed = parseText(parser, line, index + 10);
      return parsed.ok ? parsed.customId : parsed.reject.reason;
    });
    assert.deepEqual(ids, ['a', 'b', '42', '13']);
    assert.match(
      rejectOf(parseText(parser, '{"custom_id":"","target":"video"}')).reason,
      /"custom_id" must not be empty/,
    );
  });

  it('reject an unknown target, naming it and the runnable targets', () => {
    const reject = rejectOf(parseText(createParser(), '{"custom_id":"x","target":"imgz"}'));
    assert.equal(reject.reason, 'unknown target "imgz"; targets: image, video (command.targets)');
    assert.equal(reject.custom_id, 'x');
    // Names of Object.prototype members are unknown targets too.
    assert.match(rejectOf(parseText(createParser(), '{"target":"toString"}')).reason, /^unknown target "toString"/);
  });

  it('reject an interactive target', () => {
    const reject = rejectOf(parseText(createParser(), '{"custom_id":"e","target":"editor","file":"a.txt"}'));
    assert.equal(
      reject.reason,
      'target "editor" is interactive (it needs a terminal) and cannot run in a batch; targets: image, video (command.targets)',
    );
  });

  it('reject a missing or non-string target', () => {
    const parser = createParser();
    assert.match(rejectOf(parseText(parser, '{"custom_id":"m"}')).reason, /^missing "target".*targets: image, video/);
    assert.match(rejectOf(parseText(parser, '{"target":null}')).reason, /^missing "target"/);
    assert.match(rejectOf(parseText(parser, '{"target":3}')).reason, /^"target" must be a string, got number/);
  });

  it('reject a task without a field its target argv needs; built-in placeholders need none', () => {
    const parser = createParser();
    const reject = rejectOf(parseText(parser, '{"custom_id":"s","target":"image","prompt":"p","size":null}'));
    assert.equal(
      reject.reason,
      'missing field "size": target "image" puts {size} in its command (command.targets.image.argv)',
    );
    assert.equal(parseText(parser, '{"custom_id":"v","target":"video"}').ok, true);
  });

  it('say so when no target can run', () => {
    const reject = rejectOf(parseText(createParser({}), '{"target":"image"}'));
    assert.equal(reject.reason, 'unknown target "image"; no runnable targets are configured (command.targets)');
  });

  it('keep the generic rejects and report no input format', () => {
    const parser = createParser();
    assert.match(rejectOf(parseText(parser, '[1]')).reason, /^line must be a JSON object/);
    assert.match(rejectOf(parseText(parser, '{"target":')).reason, /^invalid JSON/);
    // A line of another format is a task without a target here.
    const chat = '{"custom_id":"c","url":"/v1/chat/completions","body":{"model":"m","messages":[]}}';
    assert.match(rejectOf(parseText(parser, chat)).reason, /^missing "target"/);
    assert.equal(parser.format, undefined);
  });

  it('leave other formats alone when no targets are set', () => {
    const parser = createParser(null);
    const parsed = parseText(parser, '{"id":"r1","target":"image","messages":[{"role":"user","content":"hi"}]}');
    assert.equal(parsed.ok, true);
    assert.equal(parsed.ok && parsed.request.url, '/v1/chat/completions');
    assert.equal(parser.format, 'messages');
  });
});
