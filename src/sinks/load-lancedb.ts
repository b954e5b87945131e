import { createRequire } from 'node:module';
import type * as LanceDb from '@lancedb/lancedb';
import type * as Arrow from 'apache-arrow';
import { SinkError } from '../errors/sink-error.ts';

export type LanceDbModule = typeof LanceDb;
export type ArrowModule = typeof Arrow;

export interface LanceDbModules {
  lancedb: LanceDbModule;
  arrow: ArrowModule;
}

export const LANCEDB_INSTALL = 'npm i -E @lancedb/lancedb@0.31.0 apache-arrow@18.1.0';

/**
 * `@lancedb/lancedb` and `apache-arrow`, loaded only when a job names a LanceDB sink (they are optional
 * dependencies). Arrow is loaded through `require`, not `import`: LanceDB is CommonJS and checks `instanceof Field`
 * against the CommonJS build of apache-arrow, which an ESM import would not give us (two copies of every class).
 */
export async function loadLanceDb(): Promise<LanceDbModules> {
  try {
    const lancedb = await import('@lancedb/lancedb');
    const arrow = createRequire(import.meta.url)('apache-arrow') as ArrowModule;
    return { lancedb, arrow };
  } catch (error) {
    throw new SinkError(
      'SINK_DEPENDENCY_MISSING',
      `a lancedb sink needs the optional packages @lancedb/lancedb and apache-arrow, which cannot be loaded here; install them with: ${LANCEDB_INSTALL}`,
      { cause: error },
    );
  }
}
