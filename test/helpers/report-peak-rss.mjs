// Preloaded into a CLI child (NODE_OPTIONS=--import) by peak-rss.ts: writes the process's peak
// resident set size, in bytes, to $PEAK_RSS_FILE when it exits, however it exits short of a kill.
import { writeFileSync } from 'node:fs';

const file = process.env['PEAK_RSS_FILE'];
if (file !== undefined && file !== '') {
  process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));
}
