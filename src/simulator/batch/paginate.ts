/** One page of a list ordered newest first, with the cursors both OpenAI and Anthropic return. */
export interface Page<T> {
  data: T[];
  hasMore: boolean;
  firstId: string | null;
  lastId: string | null;
}

export interface PageRequest {
  limit: number;
  /** Objects strictly older than this id (OpenAI `after`, Anthropic `after_id`). */
  afterId?: string | undefined;
  /** Objects strictly newer than this id (Anthropic `before_id`); the page nearest to it is returned. */
  beforeId?: string | undefined;
}

/**
 * Pages through `newestFirst` by id cursors. An unknown cursor id gives an empty page, which is what a client that
 * kept a cursor across a restart of the real service would also see.
 */
export function paginate<T extends { id: string }>(newestFirst: readonly T[], request: PageRequest): Page<T> {
  let start = 0;
  let end = newestFirst.length;
  if (request.afterId !== undefined) {
    const index = newestFirst.findIndex((item) => item.id === request.afterId);
    start = index === -1 ? end : index + 1;
  }
  if (request.beforeId !== undefined) {
    const index = newestFirst.findIndex((item) => item.id === request.beforeId);
    end = index === -1 ? start : Math.max(start, index);
  }
  const fromEnd = request.beforeId !== undefined && request.afterId === undefined;
  const sliceStart = fromEnd ? Math.max(start, end - request.limit) : start;
  const sliceEnd = fromEnd ? end : Math.min(end, start + request.limit);
  const data = newestFirst.slice(sliceStart, sliceEnd);
  return {
    data,
    hasMore: fromEnd ? sliceStart > start : sliceEnd < end,
    firstId: data[0]?.id ?? null,
    lastId: data.at(-1)?.id ?? null,
  };
}

/** Reads `limit` from a query string: `fallback` when absent, NaN when it is not a whole number from 1 to `max`. */
export function readLimit(query: URLSearchParams, fallback: number, max: number): number {
  const raw = query.get('limit');
  if (raw === null) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  return value >= 1 && value <= max ? value : NaN;
}
