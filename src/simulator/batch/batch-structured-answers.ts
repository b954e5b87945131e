import type { StructuredOutcome } from '../build-generation-answer.ts';
import type { StructuredAnswerOptions } from '../structured/build-structured-answer.ts';

/** How batch result lines draw structured answers (the server's rates and seed) and count them in its stats. */
export interface BatchStructuredAnswers {
  options: StructuredAnswerOptions;
  record: (outcomes: readonly StructuredOutcome[] | undefined) => void;
}
