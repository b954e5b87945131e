import type { LineReader } from '../../input/read-line-at.ts';
import type { OpenItem } from '../../store/store.ts';
import type { WorkSliceStore } from '../../store/work-slice-store.ts';

/**
 * Reads a job's lines from the store (`items.request`), as a reader of the input file would: a worker on another
 * machine cannot read the submitter's input. A line the store does not have reads as empty, which the parser rejects.
 */
export function storedLineReader(
  store: Pick<WorkSliceStore, 'requestTexts'>,
  jobId: string,
): Pick<LineReader, 'readMany'> {
  return {
    readMany: async (spans: readonly OpenItem[]): Promise<string[]> => {
      const texts = await store.requestTexts(
        jobId,
        spans.map((span) => span.seq),
      );
      return spans.map((span) => texts.get(span.seq) ?? '');
    },
  };
}
