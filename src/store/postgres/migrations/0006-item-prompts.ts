/**
 * PostgreSQL schema version 6: `items.prompt`, the prompt a data job's item answers (docs/decisions/0039), as SQLite's
 * version 12 has it. The live counts group by it with the group and the state (`answerCounts`).
 */
export const migration0006 = `
ALTER TABLE items ADD COLUMN IF NOT EXISTS prompt text;
`;
