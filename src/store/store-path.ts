import { join } from 'node:path';

/** The workspace's state store file (its own module, so naming it loads no store driver). */
export function storePathOf(workspace: string): string {
  return join(workspace, 'state.db');
}
