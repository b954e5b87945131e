import type { GenerationEndpoint } from '../generation-endpoint.ts';

/** What an OpenAI or Zhipu batch keeps besides the shared lifecycle (see batch-store.ts). */
export interface OpenAIBatchPayload {
  readonly inputFileId: string;
  /** As the client sent it, e.g. `/v1/chat/completions` or `/v4/chat/completions`. */
  readonly endpoint: string;
  readonly generationEndpoint: GenerationEndpoint;
  readonly completionWindow: string;
  readonly metadata: unknown;
  /**
   * The input file's content (the same buffer the file store holds) and each request line's byte range in it. Emptied
   * once the batch has ended, so a deleted input file is not kept alive by its batch.
   */
  content: Buffer;
  readonly lineStarts: readonly number[];
  readonly lineEnds: readonly number[];
  /** The create request's `Authorization`, kept only under the `echoAuthRate` fault, to quote back in result lines. */
  readonly echoAuthorization?: string | undefined;
  outputFileId: string | null;
  errorFileId: string | null;
}
