// A gRPC client of OnnxKit's server in another language: @grpc/grpc-js with the service definition loaded at run
// time by @grpc/proto-loader from the server's own .proto (package inference, GRPCInferenceService).
// Usage: node kserve_grpc_client.mjs PROTO HOST:PORT MODEL INPUT_NAME INPUTS.json
// INPUTS.json: {"shape": [n, ...], "data": [floats]}. Prints one JSON object: liveness, model metadata, the output
// with typed contents (fp32_contents) and the output with raw contents (raw_input_contents / raw_output_contents).
import { readFileSync } from 'node:fs';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [protoPath, target, model, inputName, inputsPath] = process.argv.slice(2);
if (!inputsPath) {
  console.error('usage: node kserve_grpc_client.mjs PROTO HOST:PORT MODEL INPUT_NAME INPUTS.json');
  process.exit(2);
}
const input = JSON.parse(readFileSync(inputsPath, 'utf8'));
// longs as strings (int64 shapes), defaults filled so that empty repeated fields read as [].
const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true });
const inference = grpc.loadPackageDefinition(definition).inference;
const client = new inference.GRPCInferenceService(target, grpc.credentials.createInsecure());
const call = (method, request) => new Promise((resolve, reject) =>
  client[method](request, (error, response) => (error ? reject(new Error(`${method}: ${error.code} ${error.details}`)) : resolve(response))));

const live = await call('ServerLive', {});
const metadata = await call('ModelMetadata', { name: model });

// 1. Typed contents.
const typed = await call('ModelInfer', {
  model_name: model,
  inputs: [{ name: inputName, datatype: 'FP32', shape: input.shape, contents: { fp32_contents: input.data } }],
});

// 2. Raw contents: little-endian float32 bytes in, raw bytes back.
const raw = await call('ModelInfer', {
  model_name: model,
  inputs: [{ name: inputName, datatype: 'FP32', shape: input.shape }],
  raw_input_contents: [Buffer.from(new Float32Array(input.data).buffer)],
});
const rawOutputs = raw.outputs.map((o, k) => {
  const bytes = raw.raw_output_contents[k];
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  return { name: o.name, datatype: o.datatype, shape: o.shape.map(Number), data: Array.from(values) };
});

console.log(JSON.stringify({
  live: live.live,
  metadata: { name: metadata.name, inputs: metadata.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(Number) })) },
  typed: typed.outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape.map(Number), data: o.contents.fp32_contents })),
  raw: rawOutputs,
}));
client.close();
