/** One part of a multipart/form-data body. `data` is a view into the body buffer, never a copy. */
export interface MultipartPart {
  name: string;
  filename: string | undefined;
  data: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Splits a multipart/form-data body (RFC 7578) held in one buffer. Returns undefined when the content type carries
 * no boundary or the body does not follow it. Parts are views (`subarray`), so a 100 MB file part costs nothing on top
 * of the body it was read into.
 */
export function parseMultipart(body: Buffer, contentType: string | undefined): MultipartPart[] | undefined {
  const boundary = readBoundary(contentType);
  if (boundary === undefined) return undefined;
  const opening = Buffer.from(`--${boundary}`);
  const separator = Buffer.from(`\r\n--${boundary}`);
  let cursor = body.indexOf(opening);
  if (cursor === -1) return undefined;
  cursor += opening.length;
  const parts: MultipartPart[] = [];
  for (;;) {
    // After a delimiter: `--` closes the body, CRLF starts the next part's headers.
    if (body[cursor] === 0x2d && body[cursor + 1] === 0x2d) return parts;
    if (body[cursor] !== 0x0d || body[cursor + 1] !== 0x0a) return undefined;
    const headersStart = cursor + 2;
    const headersEnd = body.indexOf(HEADER_END, headersStart);
    if (headersEnd === -1) return undefined;
    const dataStart = headersEnd + HEADER_END.length;
    const dataEnd = body.indexOf(separator, dataStart);
    if (dataEnd === -1) return undefined;
    const disposition = readDisposition(body.toString('utf8', headersStart, headersEnd));
    if (disposition !== undefined) parts.push({ ...disposition, data: body.subarray(dataStart, dataEnd) });
    cursor = dataEnd + separator.length;
  }
}

function readBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  return boundary === undefined || boundary.length > 200 ? undefined : boundary;
}

function readDisposition(headers: string): { name: string; filename: string | undefined } | undefined {
  for (const line of headers.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon === -1 || line.slice(0, colon).trim().toLowerCase() !== 'content-disposition') continue;
    const value = line.slice(colon + 1);
    const name = readQuotedParameter(value, 'name');
    if (name === undefined) return undefined;
    return { name, filename: readQuotedParameter(value, 'filename') };
  }
  return undefined;
}

function readQuotedParameter(value: string, parameter: string): string | undefined {
  const match = new RegExp(`;\\s*${parameter}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i').exec(value);
  if (match === null) return undefined;
  return match[1] === undefined ? match[2] : match[1].replace(/\\(.)/g, '$1');
}
