import type { SinkConfig } from '../config/sinks-config-schema.ts';
import { HttpSink } from './http-sink.ts';
import { JsonlPartsSink } from './jsonl-parts-sink.ts';
import { LanceDbSink } from './lancedb-sink.ts';
import { loadLanceDb } from './load-lancedb.ts';
import type { Sink } from './sink.ts';
import type { SinkContext } from './sink-context.ts';

/**
 * A sink from its config entry (not yet open). A LanceDB sink loads its optional packages here, so a job that names
 * one without them installed fails with SINK_DEPENDENCY_MISSING (and the install command) before anything is sent.
 */
export async function createSink(config: SinkConfig, context: SinkContext): Promise<Sink> {
  switch (config.type) {
    case 'lancedb':
      return new LanceDbSink(config, context, await loadLanceDb());
    case 'jsonl':
      return new JsonlPartsSink(config, context);
    case 'http':
      return new HttpSink(config, context);
  }
}
