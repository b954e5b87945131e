/** An input line that could not become a request (SPEC section 3). `raw` is cut at 1 KB. */
export interface Reject {
  line: number;
  custom_id?: string;
  reason: string;
  raw: string;
}

export const REJECT_RAW_MAX_BYTES = 1024;
