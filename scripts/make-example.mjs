// Writes examples/requests.jsonl: 1,000 chat requests in OpenAI batch format, plus three
// deliberately bad lines so the quickstart shows rejects.jsonl at work.
import { writeFileSync } from 'node:fs';

const topics = ['tides', 'volcanoes', 'bees', 'glaciers', 'comets', 'coral reefs', 'deserts', 'auroras'];
const lines = [];
for (let index = 1; index <= 1000; index += 1) {
  const topic = topics[index % topics.length];
  lines.push(
    JSON.stringify({
      custom_id: `request-${String(index).padStart(4, '0')}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: {
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'You are a concise science explainer.' },
          { role: 'user', content: `Fact #${index}: explain one thing about ${topic} in one sentence.` },
        ],
        max_tokens: 64,
      },
    }),
  );
  if (index === 250) lines.push('{"custom_id": "broken-json", "body": ');
  if (index === 500) lines.push(JSON.stringify({ custom_id: 'request-0001', url: '/v1/chat/completions', body: {} }));
  if (index === 750) lines.push(JSON.stringify({ custom_id: 'no-body', url: '/v1/chat/completions' }));
}
writeFileSync(new URL('../examples/requests.jsonl', import.meta.url), `${lines.join('\n')}\n`);
