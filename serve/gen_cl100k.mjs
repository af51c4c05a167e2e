// Converts js-tiktoken's cl100k_base ranks (base64 tokens grouped by offset) into the flat
// table serve/bpe.c loads, with the Unicode classes its pre-tokenizer regex uses, as Node's own
// regex engine sees them (\p{L}, \p{N}, \s), so the C pre-tokenizer needs no approximation:
//   "PITHBPE1" | u32 count | u32 range_count | u32 ends[count]
//   | {u32 lo, u32 hi, u32 classes}[range_count] | token bytes
// token i (= rank i) being bytes [ends[i-1], ends[i]) (ends[-1] = 0); ranges sorted, disjoint,
// inclusive, classes a bit set (1 letter, 2 number, 4 whitespace); code points in no range have
// none. Little-endian. Build-time only.
// usage: node serve/gen_cl100k.mjs RANKS.js OUT.bin
import { writeFileSync, renameSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const [src, dst] = process.argv.slice(2);
if (!src || !dst) {
    console.error("usage: gen_cl100k.mjs RANKS.js OUT.bin");
    process.exit(2);
}
const ranks = (await import(pathToFileURL(resolve(src)).href)).default;
const tokens = [];
for (const line of ranks.bpe_ranks.split("\n")) {
    if (!line) continue;
    const [, offStr, ...toks] = line.split(" ");
    const off = Number.parseInt(offStr, 10);
    toks.forEach((t, i) => { tokens[off + i] = Buffer.from(t, "base64"); });
}
for (let i = 0; i < tokens.length; i++) {
    if (!tokens[i]) throw new Error(`rank ${i} missing`);
}
const n = tokens.length;
const L = /\p{L}/u, N = /\p{N}/u, S = /\s/u;
const ranges = [];
for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const ch = String.fromCodePoint(cp);
    const c = (L.test(ch) ? 1 : 0) | (N.test(ch) ? 2 : 0) | (S.test(ch) ? 4 : 0);
    if (!c) continue;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === cp - 1 && last[2] === c) last[1] = cp;
    else ranges.push([cp, cp, c]);
}
const head = Buffer.alloc(16 + 4 * n + 12 * ranges.length);
head.write("PITHBPE1", 0, "latin1");
head.writeUInt32LE(n, 8);
head.writeUInt32LE(ranges.length, 12);
ranges.forEach((r, i) => r.forEach((v, k) => head.writeUInt32LE(v, 16 + 4 * n + 12 * i + 4 * k)));
let end = 0;
tokens.forEach((t, i) => { end += t.length; head.writeUInt32LE(end, 16 + 4 * i); });
const tmp = dst + ".tmp";
writeFileSync(tmp, Buffer.concat([head, ...tokens]));
renameSync(tmp, dst);
