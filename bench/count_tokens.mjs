// Counts cl100k_base tokens of files with js-tiktoken itself (the pinned third_party package), as
// the reference for bench/bench_context.sh. usage: node bench/count_tokens.mjs FILE...
// Prints "TOKENS PATH" per file. Special-token text is counted as ordinary text, as pith does.
import { readFileSync } from "node:fs";
import { register } from "node:module";

const b64 = "export default { toByteArray: (s) => new Uint8Array(Buffer.from(s, 'base64')) };";
const hook = `export async function resolve(spec, ctx, next) {
    if (spec === "base64-js")
        return { url: "data:text/javascript," + encodeURIComponent(${JSON.stringify(b64)}), shortCircuit: true };
    return next(spec, ctx);
}`;
register("data:text/javascript," + encodeURIComponent(hook));
const { Tiktoken } = await import("../third_party/js-tiktoken/dist/lite.js");
const ranks = (await import("../third_party/js-tiktoken/dist/ranks/cl100k_base.js")).default;
const enc = new Tiktoken(ranks);
for (const f of process.argv.slice(2)) {
    const text = readFileSync(f, "utf8");
    console.log(`${enc.encode(text, "all").length} ${f}`);
}
