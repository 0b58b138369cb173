// Trains from an OnnxKit training-artifacts folder in onnxruntime-node, using nothing but the folder: the loop a
// Node user writes (docs/artifacts.md). Per step it feeds the batch and the learning rate; everything else the
// optimizer needs (step counter, bias corrections) is state inside train_step.onnx.
// usage: node train_step.mjs <artifacts-dir> <run.json> <out.json>
//   run.json: {"steps": N, "batch": B, "features": "<file of float32 LE, N*B*featureSize>",
//              "targets": "<file of int64 LE, N*B>", "lr": [...one per step...]}
// Writes {"losses": [...], "state": {name: [...], ...}} (the final parameters) to out.json.
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';

const dtypes = { F32: ['float32', Float32Array], I64: ['int64', BigInt64Array] };

function readSafetensors(file) {
  const buf = fs.readFileSync(file);
  const headerLen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'));
  const base = 8 + headerLen;
  const tensors = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!(t.dtype in dtypes)) throw new Error(`tensor ${name}: dtype ${t.dtype} not handled here`);
    const [type, ArrayType] = dtypes[t.dtype];
    const [b, e] = t.data_offsets;
    const bytes = buf.subarray(base + b, base + e);
    tensors[name] = new ort.Tensor(type, new ArrayType(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), t.shape);
  }
  return tensors;
}

const [dir, runFile, outFile] = process.argv.slice(2);
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
const run = JSON.parse(fs.readFileSync(runFile, 'utf8'));
const session = await ort.InferenceSession.create(path.join(dir, manifest.train_step), { intraOpNumThreads: 1 });
let state = readSafetensors(path.join(dir, manifest.checkpoint));

const featBuf = fs.readFileSync(run.features);
const features = new Float32Array(featBuf.buffer.slice(featBuf.byteOffset, featBuf.byteOffset + featBuf.byteLength));
const tgtBuf = fs.readFileSync(run.targets);
const targets = new BigInt64Array(tgtBuf.buffer.slice(tgtBuf.byteOffset, tgtBuf.byteOffset + tgtBuf.byteLength));
const [inputSpec, targetSpec] = manifest.batch_inputs;
const sampleShape = inputSpec.shape.slice(1);
const featureSize = sampleShape.reduce((a, d) => a * d, 1);

const losses = [];
for (let s = 0; s < run.steps; s++) {
  const B = run.batch;
  const feeds = {
    [inputSpec.name]: new ort.Tensor('float32', features.slice(s * B * featureSize, (s + 1) * B * featureSize), [B, ...sampleShape]),
    [targetSpec.name]: new ort.Tensor('int64', targets.slice(s * B, (s + 1) * B), [B]),
    lr: new ort.Tensor('float32', Float32Array.of(run.lr[s]), []),
  };
  for (const st of manifest.state) feeds[st.name] = state[st.name];
  const out = await session.run(feeds);
  losses.push(out[manifest.loss].data[0]);
  const next = {};
  for (const st of manifest.state) next[st.name] = out[st.next];
  state = next;
}
const finalState = {};
for (const st of manifest.state) if (st.kind === 'parameter') finalState[st.name] = Array.from(state[st.name].data);
fs.writeFileSync(outFile, JSON.stringify({ losses, state: finalState, step: Number(state['optimizer.step'].data[0]) }));
