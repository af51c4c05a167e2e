// Drives `pith-serve -i INDEX --mcp` with the official MCP TypeScript SDK client over stdio and
// checks real answers from an index of tests/fixtures/pyresolve (expected values checked by hand
// against the fixture's source, as in tests/e2e/pyresolve_queries.sh). Then a raw JSON-RPC
// session checks what the SDK hides: version negotiation, protocol errors, bounded lines.
//   node tests/node/mcp_client.mjs PITH_SERVE INDEX
// Prints "ok: N checks" and exits 0, or prints every mismatch and exits 1.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { spawn } from "node:child_process";
import assert from "node:assert/strict";

const [serveBin, index] = process.argv.slice(2);
if (!serveBin || !index) {
  console.error("usage: node mcp_client.mjs PITH_SERVE INDEX");
  process.exit(2);
}

let checks = 0;
const failures = [];
function check(name, fn) {
  try {
    fn();
    checks++;
  } catch (e) {
    failures.push(`${name}: ${e.message}`);
  }
}
async function checkAsync(name, fn) {
  try {
    await fn();
    checks++;
  } catch (e) {
    failures.push(`${name}: ${e.message}`);
  }
}

// ---- the SDK client --------------------------------------------------------------------------

const transport = new StdioClientTransport({
  command: serveBin,
  args: ["-i", index, "--mcp"],
  env: process.env, // ASAN_OPTIONS and friends reach the server
  stderr: "inherit",
});
const client = new Client({ name: "pith-mcp-test", version: "1.0.0" });
await client.connect(transport);

check("serverInfo", () => {
  assert.equal(client.getServerVersion()?.name, "pith");
  assert.ok(client.getServerCapabilities()?.tools, "tools capability");
  assert.match(client.getInstructions() ?? "", /callers/);
});

await checkAsync("ping", async () => {
  assert.deepEqual(await client.ping(), {});
});

const { tools } = await client.listTools();
const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
check("tools/list names", () => {
  for (const n of ["symbol", "callers", "callees", "impact", "search"])
    assert.ok(byName[n], `tool ${n} missing (have ${Object.keys(byName).join(", ")})`);
});
check("tools/list schemas", () => {
  for (const t of tools) {
    assert.ok(t.description && t.description.length > 80, `${t.name}: description too short`);
    assert.equal(t.inputSchema.type, "object", `${t.name}: inputSchema.type`);
    assert.equal(t.inputSchema.additionalProperties, false, `${t.name}: additionalProperties`);
    for (const [k, p] of Object.entries(t.inputSchema.properties ?? {}))
      assert.ok(p.type && p.description, `${t.name}.${k}: type and description`);
    for (const r of t.inputSchema.required ?? [])
      assert.ok(t.inputSchema.properties[r], `${t.name}: required ${r} is not a property`);
  }
  assert.deepEqual(byName.callers.inputSchema.required, ["name"]);
  assert.deepEqual(byName.search.inputSchema.required, ["query"]);
  const depth = byName.impact.inputSchema.properties.depth;
  assert.deepEqual([depth.type, depth.minimum, depth.maximum, depth.default], ["integer", 1, 100, 100]);
  assert.match(byName.callers.description, /call site/);
  assert.match(byName.symbol.inputSchema.properties.name.description, /path\/to\/file\.py:Class\.method/);
  assert.equal(byName.callers.annotations?.readOnlyHint, true);
});

// Calls a tool and returns [result, parsed JSON answer (the last text item)].
async function call(name, args) {
  const res = await client.callTool({ name, arguments: args });
  assert.ok(Array.isArray(res.content) && res.content.length > 0, `${name}: no content`);
  for (const c of res.content) assert.equal(c.type, "text");
  const answer = JSON.parse(res.content[res.content.length - 1].text);
  return [res, answer];
}

await checkAsync("callers pkg/core.py:Registry.fetch", async () => {
  const [res, a] = await call("callers", { name: "pkg/core.py:Registry.fetch" });
  assert.equal(res.isError, false);
  assert.equal(a.op, "callers");
  assert.equal(a.results.length, 1);
  assert.equal(a.results[0].symbol.qualname, "pkg/core.py:Registry.fetch");
  const sites = a.results[0].edges.map((e) => `${e.file}:${e.line}`).sort();
  assert.deepEqual(sites, ["app.py:12", "app.py:20", "pkg/__init__.py:11", "pkg/shapes.py:31"]);
  const callers = a.results[0].edges.map((e) => `${e.caller}@${e.line}/${e.kind}`).sort();
  assert.deepEqual(callers, [
    "app.py:main@12/method",
    "app.py:main@20/method",
    "pkg/__init__.py:init_all@11/method",
    "pkg/shapes.py:build@31/method",
  ]);
  assert.equal(a.results[0].sites, 4);
  assert.equal(a.results[0].symbols, 3);
});

await checkAsync("callers with a partial name and depth", async () => {
  const [, a] = await call("callers", { name: "Registry.fetch", depth: 2 });
  assert.equal(a.depth, 2);
  assert.equal(a.results[0].symbol.qualname, "pkg/core.py:Registry.fetch");
  assert.ok(a.results[0].edges.some((e) => e.depth === 2), "no depth-2 edge");
});

await checkAsync("callees pkg/core.py:Registry.load", async () => {
  const [res, a] = await call("callees", { name: "pkg/core.py:Registry.load" });
  assert.equal(res.isError, false);
  const got = a.results[0].edges.map((e) => `${e.callee ?? e.name}|${e.kind}|${e.line}`);
  assert.deepEqual(got, [
    "os.path.join|external|44",
    "json.loads|external|45",
    "requests.get|external|46",
    "builtins.print|external|47",
    "builtins.len|external|47",
    "r.json|unresolved|48",
    "pkg/util/helpers.py:slugify|import|49",
  ]);
});

await checkAsync("symbol pkg/core.py:Registry.fetch", async () => {
  const [res, a] = await call("symbol", { name: "pkg/core.py:Registry.fetch" });
  assert.equal(res.isError, false);
  const s = a.symbol;
  assert.deepEqual(
    [s.qualname, s.kind, s.file, s.line, s.end_line, s.signature, s.parent],
    ["pkg/core.py:Registry.fetch", "method", "pkg/core.py", 30, 34, "def fetch(self, key)", "pkg/core.py:Registry"],
  );
  assert.deepEqual(s.callers, { sites: 4, symbols: 3 });
  assert.deepEqual(s.callees, { sites: 4, resolved: 4, external: 0, unresolved: 0 });
});

await checkAsync("impact pkg/util/helpers.py:clean", async () => {
  const [res, a] = await call("impact", { name: "pkg/util/helpers.py:clean" });
  assert.equal(res.isError, false);
  const r = a.results[0];
  const affected = r.affected.map((x) => `${x.depth} ${x.symbol.qualname} ${x.path.join(">")}`);
  assert.deepEqual(affected, [
    "1 app.py:main import",
    "1 pkg/core.py:Registry.validate import",
    "1 pkg/core.py:lazy import",
    "2 app.py import>direct",
    "2 pkg/core.py:Registry.fetch import>method",
    "3 pkg/__init__.py:init_all import>method>method",
    "3 pkg/shapes.py:build import>method>method",
  ]);
  assert.deepEqual(
    r.files.map((f) => `${f.path}=${f.count}`),
    ["pkg/core.py=3", "app.py=2", "pkg/__init__.py=1", "pkg/shapes.py=1"],
  );
  assert.equal(r.counts.symbols, 7);
  assert.equal(r.counts.max_depth, 3);
});

await checkAsync("search slugify", async () => {
  const [res, a] = await call("search", { query: "slugify", k: 5, mode: "lexical" });
  assert.equal(res.isError, false);
  assert.equal(a.mode, "lexical");
  assert.equal(a.total, 2);
  assert.deepEqual(
    a.hits.map((h) => `${h.rank} ${h.symbol.qualname}`),
    ["1 pkg/util/helpers.py:slugify", "2 pkg/core.py:Registry.load"],
  );
  assert.equal(a.hits[0].signature, "def slugify(text)");
});

await checkAsync("search slugify, fused (the default with vectors)", async () => {
  const [res, a] = await call("search", { query: "slugify", k: 5 });
  assert.equal(res.isError, false);
  assert.equal(a.mode, "fused");
  assert.equal(a.hits.length, 5);
  assert.equal(a.hits[0].symbol.qualname, "pkg/util/helpers.py:slugify");
  assert.deepEqual(a.hits[0].matched, ["slugifi"]); // index terms are Snowball stems
  assert.ok(a.hits[0].similarity > 0 && a.hits[0].lexical > 0);
});

await checkAsync("search without hits is an empty answer", async () => {
  const [res, a] = await call("search", { query: "zzqqxxnothing", mode: "lexical" });
  assert.equal(res.isError, false);
  assert.deepEqual([a.total, a.hits], [0, []]);
});

await checkAsync("unknown name: isError with suggestions", async () => {
  const res = await client.callTool({ name: "callers", arguments: { name: "Registry.fetchh" } });
  assert.equal(res.isError, true);
  assert.match(res.content[0].text, /no symbol named 'Registry.fetchh'; did you mean .*pkg\/core.py:Registry.fetch/);
  const a = JSON.parse(res.content[1].text);
  assert.equal(a.error, "not_found");
});

await checkAsync("ambiguous name: isError with candidates", async () => {
  const res = await client.callTool({ name: "symbol", arguments: { name: "pick" } });
  assert.equal(res.isError, true);
  const a = JSON.parse(res.content[1].text);
  assert.equal(a.error, "ambiguous");
  assert.deepEqual(a.candidates.map((c) => `${c.qualname}:${c.line}`), [
    "pkg/util/helpers.py:pick:25",
    "pkg/util/helpers.py:pick:28",
  ]);
});

// Every listed tool answers through the SDK with its required arguments (sample values from the
// fixture): a result, never a protocol error.
const samples = {
  name: "pkg/core.py:Registry.fetch",
  from: "app.py:main",
  to: "pkg/core.py:Registry.fetch",
  query: "fetch",
  location: "pkg/core.py:31",
  files: ["pkg/core.py"],
};
for (const t of tools) {
  await checkAsync(`tool ${t.name} answers`, async () => {
    const args = {};
    for (const r of t.inputSchema.required ?? []) {
      assert.ok(r in samples, `no sample value for required argument ${r}`);
      args[r] = samples[r];
    }
    if (t.name === "diff-impact") args.files = samples.files;
    const res = await client.callTool({ name: t.name, arguments: args });
    assert.ok(res.content.length > 0 && res.content.every((c) => c.type === "text" && c.text.length > 0));
    if (!res.isError) JSON.parse(res.content[0].text);
  });
}
if (byName.context) {
  await checkAsync("context fits its budget", async () => {
    const [res, a] = await call("context", { name: "pkg/core.py:Registry.fetch", budget: 200 });
    assert.equal(res.isError, false);
    assert.ok(a.tokens <= 200, `tokens ${a.tokens} > 200`);
  });
  await checkAsync("context: a budget too small is a tool error", async () => {
    const res = await client.callTool({ name: "context", arguments: { name: "pkg/core.py:Registry.fetch", budget: 30 } });
    assert.equal(res.isError, true);
    assert.equal(JSON.parse(res.content[1].text).error, "budget_too_small");
  });
}

// Protocol errors reject the SDK's promise with McpError and the JSON-RPC code.
async function expectRpcError(name, params, code, pattern) {
  await checkAsync(name, async () => {
    await assert.rejects(client.callTool(params), (e) => {
      assert.equal(e.code, code, `code of: ${e.message}`);
      assert.match(e.message, pattern);
      return true;
    });
  });
}
await expectRpcError("unknown tool", { name: "no_such_tool", arguments: {} }, -32602, /unknown tool 'no_such_tool'/);
await expectRpcError("missing argument", { name: "callers", arguments: {} }, -32602, /missing required argument 'name'/);
await expectRpcError("depth out of range", { name: "callers", arguments: { name: "clean", depth: 0 } }, -32602, /'depth' must be an integer from 1 to 100/);
await expectRpcError("unknown argument", { name: "symbol", arguments: { name: "clean", depth: 2 } }, -32602, /unknown argument 'depth'/);
await checkAsync("unknown method", async () => {
  await assert.rejects(client.listResources(), (e) => e.code === -32601);
});

await client.close();

// ---- a raw session: what the SDK does not show --------------------------------------------------

// Sends `lines` (strings) to a fresh server, closes its stdin, and returns its stdout lines parsed.
function rawSession(lines) {
  return new Promise((resolve, reject) => {
    const p = spawn(serveBin, ["-i", index, "--mcp"], { env: process.env, stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    p.stdout.setEncoding("utf8");
    p.stdout.on("data", (d) => (out += d));
    p.on("error", reject);
    p.on("close", (code) => {
      if (code !== 0) return reject(new Error(`pith-serve --mcp exited ${code}`));
      try {
        resolve(out.split("\n").filter((l) => l.length).map((l) => JSON.parse(l)));
      } catch (e) {
        reject(new Error(`stdout is not JSON lines: ${e.message}: ${out.slice(0, 400)}`));
      }
    });
    p.stdin.end(lines.map((l) => l + "\n").join(""));
  });
}
const init = (id, v) => JSON.stringify({ jsonrpc: "2.0", id, method: "initialize", params: { protocolVersion: v, capabilities: {}, clientInfo: { name: "raw", version: "0" } } });

await checkAsync("raw session", async () => {
  const replies = await rawSession([
    init(1, "2024-11-05"),
    JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
    init(3, "2025-03-26"),
    init(4, "2099-01-01"),
    "{not json",
    "x".repeat((1 << 20) + 10),
    JSON.stringify({ jsonrpc: "2.0", id: "p", method: "ping" }),
    JSON.stringify({ jsonrpc: "2.0", id: 5 }),
    JSON.stringify({ jsonrpc: "1.0", id: 6, method: "ping" }),
    JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: "callers" }),
    "",
    JSON.stringify([{ jsonrpc: "2.0", id: 8, method: "ping" }, { jsonrpc: "2.0", method: "notifications/x" }]),
  ]);
  const summary = replies.map((r) => (Array.isArray(r) ? `[${r.map((x) => x.id).join(",")}]` : `${r.id}:${r.error ? r.error.code : "ok"}`));
  assert.deepEqual(summary, ["1:ok", "2:ok", "3:ok", "4:ok", "null:-32700", "null:-32600", "p:ok", "5:-32600", "6:-32600", "7:-32602", "[8]"]);
  assert.equal(replies[0].result.protocolVersion, "2024-11-05");
  assert.equal(replies[1].result.tools[0].annotations, undefined, "no annotations in 2024-11-05");
  assert.equal(replies[2].result.protocolVersion, "2025-03-26");
  assert.equal(replies[3].result.protocolVersion, "2025-06-18");
  assert.match(replies[5].error.message, /longer than 1048576 bytes/);
});

if (failures.length) {
  for (const f of failures) console.error(`FAIL ${f}`);
  console.error(`${checks} passed, ${failures.length} failed`);
  process.exit(1);
}
console.log(`ok: ${checks} checks`);
