/** A request to a files or batches route, as the server's router hands it over. */
export interface BatchRoute {
  method: string;
  /** The full path, for error messages. */
  path: string;
  /** The path after the API prefix, split on `/` and URI-decoded: `['batches', 'batch_abc', 'cancel']`. */
  segments: string[];
  query: URLSearchParams;
  sequence: number;
}

export function splitSegments(rest: string): string[] {
  return rest.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  });
}
