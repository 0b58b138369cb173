// Loads a TensorFlow.js Layers model (model.json + weight shards) with @tensorflow/tfjs (pure JS) and prints its
// output for an input read from a raw little-endian float32 file, as JSON on the last line of stdout.
// usage: node tfjs_predict.mjs MODEL_DIR INPUT.bin D0,D1,...   (the input shape, batch first, channels last)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

const [dir, inputPath, shapeArg] = process.argv.slice(2);
if (!dir || !inputPath || !shapeArg) {
  console.error('usage: node tfjs_predict.mjs MODEL_DIR INPUT.bin D0,D1,...');
  process.exit(2);
}
const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
// tfjs in Node cannot fetch file:// URLs: read the shards ourselves and hand everything over in memory.
const weightSpecs = [];
const buffers = [];
for (const group of json.weightsManifest) {
  weightSpecs.push(...group.weights);
  for (const p of group.paths) buffers.push(readFileSync(join(dir, p)));
}
const all = Buffer.concat(buffers);
const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
const raw = readFileSync(inputPath);
const input = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
const shape = shapeArg.split(',').map(Number);
const out = model.predict(tf.tensor(input, shape));
console.log(JSON.stringify({ shape: out.shape, output: Array.from(await out.data()), layers: model.layers.map(l => l.getClassName()) }));
