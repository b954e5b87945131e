import { BatchpilotError } from './batchpilot-error.ts';

/**
 * The endpoint as a whole cannot be used: it cannot be reached (refused, DNS, no answer), or it does not serve the
 * API at `base_url` (a 404 on the API's own path), checked before the first request; or it stayed unreachable for
 * longer than `outage.max_wait_s` during a run. The job's items are kept for `resume`.
 */
export class EndpointError extends BatchpilotError {}
