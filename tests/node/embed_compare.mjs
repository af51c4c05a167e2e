// Test helper: compares two `pith-embed --dump` outputs row by row (same symbols, same summaries)
// and prints the smallest cosine between their vectors; exits 1 below THRESHOLD (default 0.9999).
//   node embed_compare.mjs A.txt B.txt [THRESHOLD]
import fs from "node:fs";
const read = (f) => fs.readFileSync(f, "utf8").split("\n").filter((l) => /^\d+\t/.test(l)).map((l) => { const [s, t, v] = l.split("\t"); return { s, t, v: v ? v.split(" ").map(Number) : [] }; });
const a = read(process.argv[2]), b = read(process.argv[3]);
if (a.length !== b.length || a.length === 0) { console.log(`rows ${a.length} vs ${b.length}`); process.exit(1); }
let min = 2;
for (let i = 0; i < a.length; i++) {
  if (a[i].s !== b[i].s || a[i].t !== b[i].t) { console.log(`row ${i} differs`); process.exit(1); }
  let d = 0, na = 0, nb = 0;
  for (let k = 0; k < a[i].v.length; k++) { d += a[i].v[k] * b[i].v[k]; na += a[i].v[k] ** 2; nb += b[i].v[k] ** 2; }
  const c = a[i].v.length && a[i].v.length === b[i].v.length ? d / Math.sqrt(na * nb) : -1;
  if (c < min) min = c;
}
console.log(`rows ${a.length} min cosine ${min.toFixed(7)}`);
process.exit(min > Number(process.argv[4] ?? 0.9999) ? 0 : 1);
