/** One semantic check of an answer beyond its schema, at `path` (JSON pointer `/a/0/b`, or `a.b`; '' is the root). */
export interface OutputCheck {
  path: string;
  min_length?: number;
  min_items?: number;
  covers?: string;
  required?: boolean;
}

/** A named prompt of a prompts file (or `prompts:` section), loaded and resolved: paths relative to the file. */
export interface PromptSpec {
  name: string;
  system?: string;
  /** The template text (file already read). */
  template: string;
  /** Expression over `row`. */
  when?: string;
  /** >= 1 */
  samples: number;
  model?: string;
  /** `defaults.request` merged with the prompt's request. */
  request: Record<string, unknown>;
  output: {
    format: 'json' | 'text';
    /** JSON Schema, file already read. */
    schema?: Record<string, unknown>;
    checks: OutputCheck[];
    /** Ask for JSON the provider's way, or only in the prompt. */
    mode: 'provider' | 'prompt';
  };
  reask: { max: number; invalid: 'feedback' | 'resample'; truncated_max_tokens: number; refused: boolean };
}

export interface PromptSet {
  prompts: PromptSpec[];
  customIdFormat: string;
  sourceFile: string;
  hash: string;
}
