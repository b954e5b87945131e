/** Entry for running from source (`node --import tsx src/cli/dev-entry.ts ...`), as the tests do. */
import { main } from './main.ts';

process.exitCode = await main(process.argv);
