// Runs an ONNX model with onnxruntime-node and prints its outputs as JSON.
//   node run_model.mjs MODEL.onnx INPUTS.json
// INPUTS.json: { "name": { "type": "float32" | "int64" | "float64" | "bool", "dims": [..], "data": [..] }, ... }
// Output (stdout): the same shape of object, one entry per model output.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

const [modelPath, inputsPath] = process.argv.slice(2);
if (!modelPath || !inputsPath) {
  console.error('usage: node run_model.mjs MODEL.onnx INPUTS.json');
  process.exit(2);
}

const arrays = {
  float32: (d) => Float32Array.from(d),
  float64: (d) => Float64Array.from(d),
  int64: (d) => BigInt64Array.from(d.map((v) => BigInt(v))),
  bool: (d) => Uint8Array.from(d.map((v) => (v ? 1 : 0))),
};

const feeds = {};
for (const [name, t] of Object.entries(JSON.parse(readFileSync(inputsPath, 'utf8')))) {
  const make = arrays[t.type];
  if (!make) throw new Error(`input '${name}': type '${t.type}' is not supported (expected ${Object.keys(arrays).join(', ')})`);
  feeds[name] = new ort.Tensor(t.type, make(t.data), t.dims);
}

const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, graphOptimizationLevel: 'disabled' });
const results = await session.run(feeds);
const out = {};
for (const name of session.outputNames) {
  const t = results[name];
  // float32 values widen to double exactly, and JSON prints doubles so that they read back exactly.
  out[name] = { type: t.type, dims: t.dims, data: Array.from(t.data, (v) => (typeof v === 'bigint' ? Number(v) : v)) };
}
process.stdout.write(JSON.stringify(out) + '\n');
