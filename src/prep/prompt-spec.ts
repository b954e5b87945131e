import { z } from 'zod';

/** A semantic check on a JSON answer beyond its schema (run by src/validate/). */
export interface OutputCheck {
  /** Where in the answer: `field`, `a.b`, `a/0/b`. */
  path: string;
  min_length?: number;
  min_items?: number;
  /** `row.field`: every value listed in that row field appears in the answer's value. */
  covers?: string;
  required?: boolean;
}

/** One named prompt of a prompts file, resolved: defaults merged, files read, paths relative to the file. */
export interface PromptSpec {
  name: string;
  system?: string;
  /** The template text (file already read). */
  template: string;
  /** Where the template came from: its file, or `<prompts file>#<name>` for `text:`. For messages and partials. */
  templateFile?: string;
  /** An expression over `row` (LiquidJS's expression language): only rows where it holds get the prompt. */
  when?: string;
  /** k answers per row, as k requests (`_s{k}` custom_ids). Minimum: 1. */
  samples: number;
  model?: string;
  /** defaults.request merged with the prompt's request (the prompt's keys win). */
  request: Record<string, unknown>;
  output: {
    format: 'json' | 'text';
    /** JSON Schema, file already read and checked to be a valid schema. */
    schema?: Record<string, unknown>;
    schemaFile?: string;
    checks: OutputCheck[];
    /** Ask for JSON the provider's way (`response_format`), or only in the prompt. */
    mode: 'provider' | 'prompt';
  };
  reask: { max: number; invalid: 'feedback' | 'resample'; truncated_max_tokens: number; refused: boolean };
}

/** A loaded prompts file (or the `prompts:` section of the config). */
export interface PromptSet {
  prompts: PromptSpec[];
  /** How custom_ids are made: `{prompt}`, `{index}` (zero-padded), `{key}`. @default '{prompt}_{index}' */
  customIdFormat: string;
  /** The prompts file (or config file) the set was read from: relative paths and partials start from its folder. */
  sourceFile: string;
  /** sha256 of the resolved prompts (templates, schemas, settings): changes when any of them does. */
  hash: string;
}

export const DEFAULT_CUSTOM_ID_FORMAT = '{prompt}_{index}';

/** Re-ask defaults (decision 0016): two more tries, with the errors fed back; truncated answers may grow to 8192. */
export const DEFAULT_REASK = { max: 2, invalid: 'feedback', truncated_max_tokens: 8192, refused: false } as const;

const checkSchema = z
  .object({
    /** '' (or `/`) is the whole answer: the text of a `format: text` prompt. */
    path: z.string(),
    min_length: z.number().int().min(0).optional(),
    min_items: z.number().int().min(0).optional(),
    covers: z.string().min(1).optional(),
    required: z.boolean().optional(),
  })
  .strict();

const outputSchema = z
  .object({
    /** @default 'json' when a schema is given, else 'text' */
    format: z.enum(['json', 'text']).optional(),
    /** A JSON Schema file (draft 2020-12 unless its `$schema` says draft-07), relative to the prompts file. */
    schema: z.string().min(1).optional(),
    checks: z.array(checkSchema).optional(),
    /** @default 'provider' */
    mode: z.enum(['provider', 'prompt']).optional(),
  })
  .strict();

const reaskSchema = z
  .object({
    max: z.number().int().min(0).max(10).optional(),
    invalid: z.enum(['feedback', 'resample']).optional(),
    truncated_max_tokens: z.number().int().min(1).optional(),
    refused: z.boolean().optional(),
  })
  .strict();

const requestSchema = z.record(z.string(), z.unknown());

const commonFields = {
  system: z.string().optional(),
  model: z.string().min(1).optional(),
  request: requestSchema.optional(),
  samples: z.number().int().min(1).max(100).optional(),
  output: outputSchema.optional(),
  reask: reaskSchema.optional(),
};

const promptEntrySchema = z
  .object({
    ...commonFields,
    /** A template file, relative to the prompts file. */
    template: z.string().min(1).optional(),
    /** The template inline. */
    text: z.string().optional(),
    when: z.string().min(1).optional(),
  })
  .strict();

const PROMPT_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** The prompts file as written (before files are read and defaults merged). */
export const promptsFileSchema = z
  .object({
    defaults: z.object(commonFields).strict().optional(),
    /** How custom_ids are made; placeholders `{prompt}`, `{index}`, `{key}`. */
    custom_id: z.string().min(1).optional(),
    prompts: z.record(z.string().regex(PROMPT_NAME, 'a prompt name is letters, digits, _ and -'), promptEntrySchema),
  })
  .strict();

export type PromptsFile = z.infer<typeof promptsFileSchema>;
export type PromptEntry = z.infer<typeof promptEntrySchema>;
