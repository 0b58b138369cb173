// A client of OnnxKit's server in another language: Node's built-in fetch speaking the Open Inference
// Protocol (KServe v2). Usage: node kserve_client.mjs BASE_URL MODEL INPUT_NAME INPUTS.json
// INPUTS.json: {"shape": [n, ...], "data": [floats]}. Prints one JSON object: the server's metadata answer,
// the JSON-encoded inference output, and the same inference through the binary-data extension.
import { readFileSync } from 'node:fs';

const [base, model, inputName, inputsPath] = process.argv.slice(2);
if (!inputsPath) {
  console.error('usage: node kserve_client.mjs BASE_URL MODEL INPUT_NAME INPUTS.json');
  process.exit(2);
}
const input = JSON.parse(readFileSync(inputsPath, 'utf8'));
const url = (path) => new URL(path, base).toString();

async function json(path, init) {
  const r = await fetch(url(path), init);
  const text = await r.text();
  if (!r.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: HTTP ${r.status}: ${text}`);
  return JSON.parse(text);
}

const live = await fetch(url('/v2/health/live'));
const metadata = await json(`/v2/models/${model}`);

// 1. JSON tensors.
const jsonAnswer = await json(`/v2/models/${model}/infer`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ inputs: [{ name: inputName, datatype: 'FP32', shape: input.shape, data: input.data }] }),
});

// 2. Binary-data extension: a JSON header followed by raw little-endian float32, and binary outputs back.
const header = Buffer.from(JSON.stringify({
  inputs: [{ name: inputName, datatype: 'FP32', shape: input.shape, parameters: { binary_data_size: input.data.length * 4 } }],
  parameters: { binary_data_output: true },
}));
const raw = Buffer.from(new Float32Array(input.data).buffer);
const r = await fetch(url(`/v2/models/${model}/infer`), {
  method: 'POST',
  headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(header.length) },
  body: Buffer.concat([header, raw]),
});
if (!r.ok) throw new Error(`binary infer: HTTP ${r.status}: ${await r.text()}`);
const body = Buffer.from(await r.arrayBuffer());
const headerLength = Number(r.headers.get('inference-header-content-length'));
const answer = JSON.parse(body.subarray(0, headerLength).toString('utf8'));
let offset = headerLength;
const binaryOutputs = answer.outputs.map((o) => {
  const size = o.parameters.binary_data_size;
  const bytes = body.subarray(offset, offset + size);
  offset += size;
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + size));
  return { name: o.name, shape: o.shape, data: Array.from(values) };
});

console.log(JSON.stringify({
  live: live.status,
  metadata,
  json: jsonAnswer.outputs.map((o) => ({ name: o.name, shape: o.shape, data: o.data })),
  binary: binaryOutputs,
}));
