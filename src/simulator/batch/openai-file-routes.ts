import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorContext } from '../simulator-context.ts';
import type { OpenAIBatchDialect } from './batch-dialect.ts';
import type { BatchRoute } from './batch-route.ts';
import { describeFile } from './file-store.ts';
import { readLimit } from './paginate.ts';
import { parseMultipart } from './parse-multipart.ts';
import { readRequestBody } from './read-request-body.ts';
import { sendJson, sendMethodNotAllowed, sendOpenAIError as sendError, streamContent } from './send-batch-answer.ts';

/** OpenAI's cap on one uploaded file. */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
const MAX_LIST_LIMIT = 10_000;

/**
 * `POST files` (multipart: `purpose=batch`, `file`), `GET files[?purpose&limit&after]` newest first,
 * `GET files/{id}`, `GET files/{id}/content` (streamed), `DELETE files/{id}`. Auth was checked by the caller.
 */
export function handleOpenAIFileRequest(
  context: SimulatorContext,
  request: IncomingMessage,
  response: ServerResponse,
  dialect: OpenAIBatchDialect,
  route: BatchRoute,
): void {
  const { segments, method, sequence } = route;
  const [, id, action] = segments;
  if (segments.length === 1) {
    if (method === 'POST') void uploadFile(context, request, response, dialect, sequence);
    else if (method === 'GET') listFiles(context, response, dialect, route);
    else sendMethodNotAllowed(context, response, route);
    return;
  }
  if (id === undefined || segments.length > 3 || (action !== undefined && action !== 'content')) {
    sendError(context, response, sequence, 404, `Invalid URL (${method} ${route.path})`, 'unknown_url');
    return;
  }
  const file = context.batch.files.get(dialect, id);
  if (file === undefined) {
    sendError(context, response, sequence, 404, `No such File object: ${id}`, 'file_not_found', 'id');
    return;
  }
  if (action === 'content') {
    if (method === 'GET') streamContent(context, response, sequence, file.content, 'application/jsonl');
    else sendMethodNotAllowed(context, response, route);
  } else if (method === 'GET') {
    sendJson(context, response, sequence, 200, describeFile(file));
  } else if (method === 'DELETE') {
    context.batch.files.delete(dialect, id);
    sendJson(context, response, sequence, 200, { id, object: 'file', deleted: true });
  } else {
    sendMethodNotAllowed(context, response, route);
  }
}

async function uploadFile(
  context: SimulatorContext,
  request: IncomingMessage,
  response: ServerResponse,
  dialect: OpenAIBatchDialect,
  sequence: number,
): Promise<void> {
  const read = await readRequestBody(request, MAX_UPLOAD_BYTES);
  if (!read.ok) {
    if (read.reason === 'too_large') {
      const message = `File is too large; the limit is ${String(MAX_UPLOAD_BYTES)} bytes.`;
      sendError(context, response, sequence, 413, message, 'file_too_large', 'file');
    }
    return;
  }
  const parts = parseMultipart(read.body, request.headers['content-type']);
  if (parts === undefined) {
    const message = 'The request must be multipart/form-data with a `purpose` and a `file` field.';
    sendError(context, response, sequence, 400, message, 'invalid_multipart');
    return;
  }
  const purposePart = parts.find((part) => part.name === 'purpose');
  const filePart = parts.find((part) => part.name === 'file');
  if (purposePart === undefined) {
    sendError(
      context,
      response,
      sequence,
      400,
      "Missing required parameter: 'purpose'.",
      'missing_required_parameter',
      'purpose',
    );
    return;
  }
  const purpose = purposePart.data.toString('utf8').trim();
  if (purpose !== 'batch') {
    const message = `Invalid value for 'purpose': '${purpose.slice(0, 100)}'. This simulator accepts only 'batch'.`;
    sendError(context, response, sequence, 400, message, 'invalid_value', 'purpose');
    return;
  }
  if (filePart === undefined) {
    sendError(
      context,
      response,
      sequence,
      400,
      "Missing required parameter: 'file'.",
      'missing_required_parameter',
      'file',
    );
    return;
  }
  // The part is a view into the request buffer; copy only when the rest of that buffer is big enough to matter.
  const content = filePart.data.length * 2 < read.body.length ? Buffer.from(filePart.data) : filePart.data;
  context.batch.stats.recordUpload(dialect, content);
  const file = context.batch.files.add(dialect, filePart.filename ?? 'upload.jsonl', 'batch', content);
  sendJson(context, response, sequence, 200, describeFile(file));
}

function listFiles(
  context: SimulatorContext,
  response: ServerResponse,
  dialect: OpenAIBatchDialect,
  route: BatchRoute,
): void {
  const limit = readLimit(route.query, MAX_LIST_LIMIT, MAX_LIST_LIMIT);
  if (Number.isNaN(limit)) {
    const message = `Invalid 'limit': expected a whole number from 1 to ${String(MAX_LIST_LIMIT)}.`;
    sendError(context, response, route.sequence, 400, message, 'invalid_value', 'limit');
    return;
  }
  const purpose = route.query.get('purpose') ?? undefined;
  const afterId = route.query.get('after') ?? undefined;
  const page = context.batch.files.list(dialect, purpose, { limit, afterId });
  sendJson(context, response, route.sequence, 200, {
    object: 'list',
    data: page.data.map(describeFile),
    has_more: page.hasMore,
    first_id: page.firstId,
    last_id: page.lastId,
  });
}
