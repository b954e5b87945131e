import { Agent, request } from 'undici';

export interface JsonAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A private pool per test file, closed in `after`, so no keep-alive socket outlives the file. */
export function createTestAgent(): Agent {
  return new Agent({ keepAliveTimeout: 1_000 });
}

export async function postJson(
  dispatcher: Agent,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  const response = await request(url, {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

export async function getJson(
  dispatcher: Agent,
  url: string,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  const response = await request(url, { method: 'GET', dispatcher, headers });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}
