// The providers' official SDKs, unchanged, against governed-sim: each parses a completion with
// its usage and a stream, and raises its own RateLimitError (with retry-after visible) and
// AuthenticationError. Usage: node sdk.mjs path/to/governed-sim
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';

const sim = process.argv[2];
if (!sim) {
  console.error('usage: node sdk.mjs path/to/governed-sim');
  process.exit(2);
}

// Two requests a minute per model: a completion and a stream pass, the third is refused.
const child = spawn(sim, ['--port', '0', '--provider', 'openai,anthropic', '--rpm', '2', '--latency-ms', '20',
  '--token-ms', '1', '--keys', 'sk-sdk-good:valid,sk-sdk-revoked:invalid'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  const lines = createInterface({ input: child.stdout });
  lines.once('line', (line) => {
    const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
    m ? resolve(m[1]) : reject(new Error(`unexpected first line: ${line}`));
  });
  child.once('exit', (code) => reject(new Error(`governed-sim exited with ${code}`)));
});

const text = 'This is a simulated completion.';
const messages = [{ role: 'user', content: 'Say hello.' }];
let failed = 0;
async function check(name, body) {
  try {
    await body();
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
  }
}
function headerOf(err, name) {
  const h = err.headers;
  return typeof h?.get === 'function' ? h.get(name) : h?.[name];
}

const openai = new OpenAI({ apiKey: 'sk-sdk-good', baseURL: `${url}/v1`, maxRetries: 0 });
await check('openai: a completion parses with usage', async () => {
  const r = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 64 });
  assert.equal(r.choices[0].message.content, text);
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.ok(r.usage.prompt_tokens > 0);
  assert.equal(r.usage.completion_tokens, 64);
  assert.ok(r._request_id?.startsWith('req_'));
});
await check('openai: a stream parses, usage in its last chunk', async () => {
  const stream = await openai.chat.completions.create({
    model: 'gpt-4o-mini', messages, max_tokens: 64, stream: true, stream_options: { include_usage: true },
  });
  let content = '';
  let usage = null;
  for await (const chunk of stream) {
    content += chunk.choices[0]?.delta?.content ?? '';
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(content, text);
  assert.equal(usage?.completion_tokens, 64);
});
await check('openai: a spent RPM raises RateLimitError with retry-after', async () => {
  await assert.rejects(openai.chat.completions.create({ model: 'gpt-4o-mini', messages }), (e) => {
    assert.ok(e instanceof OpenAI.RateLimitError, `got ${e?.constructor?.name}`);
    assert.equal(e.status, 429);
    assert.ok(Number(headerOf(e, 'retry-after')) > 0, 'retry-after');
    assert.equal(headerOf(e, 'x-ratelimit-remaining-requests'), '0');
    assert.equal(e.code, 'rate_limit_exceeded');
    return true;
  });
});
await check('openai: an invalid key raises AuthenticationError', async () => {
  const bad = new OpenAI({ apiKey: 'sk-sdk-revoked', baseURL: `${url}/v1`, maxRetries: 0 });
  await assert.rejects(bad.chat.completions.create({ model: 'gpt-4o-mini', messages }), (e) => {
    assert.ok(e instanceof OpenAI.AuthenticationError, `got ${e?.constructor?.name}`);
    assert.equal(e.code, 'invalid_api_key');
    assert.ok(!String(e.message).includes('sk-sdk-revoked'), 'the key is not echoed');
    return true;
  });
});

// Anthropic's base URL is the host: the SDK adds /v1/messages.
const anthropic = new Anthropic({ apiKey: 'sk-sdk-good', baseURL: url, maxRetries: 0 });
const model = 'claude-haiku-4-5';
await check('anthropic: a message parses with usage', async () => {
  const r = await anthropic.messages.create({ model, max_tokens: 64, messages });
  assert.equal(r.content[0].type, 'text');
  assert.equal(r.content[0].text, text);
  assert.equal(r.stop_reason, 'end_turn');
  assert.ok(r.usage.input_tokens > 0);
  assert.equal(r.usage.output_tokens, 64);
});
await check('anthropic: messages.stream parses, usage in message_delta', async () => {
  const stream = anthropic.messages.stream({ model, max_tokens: 64, messages });
  let content = '';
  stream.on('text', (t) => { content += t; });
  const final = await stream.finalMessage();
  assert.equal(content, text);
  assert.equal(final.content[0].text, text);
  assert.ok(final.usage.input_tokens > 0);
  assert.equal(final.usage.output_tokens, 64);
});
await check('anthropic: a spent RPM raises RateLimitError with retry-after', async () => {
  await assert.rejects(anthropic.messages.create({ model, max_tokens: 64, messages }), (e) => {
    assert.ok(e instanceof Anthropic.RateLimitError, `got ${e?.constructor?.name}`);
    assert.equal(e.status, 429);
    assert.ok(Number(headerOf(e, 'retry-after')) > 0, 'retry-after');
    assert.equal(headerOf(e, 'anthropic-ratelimit-requests-remaining'), '0');
    assert.equal(e.error?.error?.type, 'rate_limit_error');
    return true;
  });
});
await check('anthropic: an invalid key raises AuthenticationError', async () => {
  const bad = new Anthropic({ apiKey: 'sk-sdk-revoked', baseURL: url, maxRetries: 0 });
  await assert.rejects(bad.messages.create({ model, max_tokens: 64, messages }), (e) => {
    assert.ok(e instanceof Anthropic.AuthenticationError, `got ${e?.constructor?.name}`);
    assert.equal(e.error?.error?.type, 'authentication_error');
    return true;
  });
});

child.kill('SIGTERM');
console.log(failed ? `${failed} check(s) failed` : 'all SDK checks passed');
process.exit(failed ? 1 : 0);
