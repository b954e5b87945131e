/** One entry of an OpenAI batch's `errors.data`: why the whole batch failed. `line` is 1-based, as OpenAI reports it. */
export interface BatchFailure {
  code: string;
  message: string;
  line: number | null;
  param: string | null;
}
