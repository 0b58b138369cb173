// Runs OnnxKit training artifacts in onnxruntime-node: proof that train_step.onnx is stock ONNX.
// usage: node train_step.mjs <artifacts-dir> <run.json>
//   run.json: {"steps": N, "batch": B, "features": "<file of float32 LE, N*B*featureSize>",
//              "targets": "<file of int64 LE, N*B>", "scalars": [[...per step...], ...]}
// Prints {"losses": [...]} on stdout.
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';

function readSafetensors(file) {
  const buf = fs.readFileSync(file);
  const headerLen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'));
  const base = 8 + headerLen;
  const tensors = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (t.dtype !== 'F32') throw new Error(`tensor ${name}: dtype ${t.dtype} not handled here`);
    const [b, e] = t.data_offsets;
    const bytes = buf.subarray(base + b, base + e);
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    tensors[name] = new ort.Tensor('float32', data, t.shape);
  }
  return tensors;
}

const [dir, runFile] = process.argv.slice(2);
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
const run = JSON.parse(fs.readFileSync(runFile, 'utf8'));
const session = await ort.InferenceSession.create(path.join(dir, manifest.train_step), { intraOpNumThreads: 1 });
let state = readSafetensors(path.join(dir, manifest.checkpoint));

const featBuf = fs.readFileSync(run.features);
const features = new Float32Array(featBuf.buffer.slice(featBuf.byteOffset, featBuf.byteOffset + featBuf.byteLength));
const tgtBuf = fs.readFileSync(run.targets);
const targets = new BigInt64Array(tgtBuf.buffer.slice(tgtBuf.byteOffset, tgtBuf.byteOffset + tgtBuf.byteLength));
const sampleShape = manifest.batch_inputs[0].shape.slice(1);
const featureSize = sampleShape.reduce((a, d) => a * d, 1);

const losses = [];
for (let s = 0; s < run.steps; s++) {
  const B = run.batch;
  const feeds = {
    [manifest.batch_inputs[0].name]: new ort.Tensor('float32', features.slice(s * B * featureSize, (s + 1) * B * featureSize), [B, ...sampleShape]),
    [manifest.batch_inputs[1].name]: new ort.Tensor('int64', targets.slice(s * B, (s + 1) * B), [B]),
  };
  manifest.step_scalars.forEach((name, i) => { feeds[name] = new ort.Tensor('float32', Float32Array.of(run.scalars[s][i]), []); });
  for (const st of manifest.state) feeds[st.name] = state[st.name];
  const out = await session.run(feeds);
  losses.push(out[manifest.loss].data[0]);
  const next = {};
  for (const st of manifest.state) next[st.name] = out[st.next];
  state = next;
}
console.log(JSON.stringify({ losses }));
