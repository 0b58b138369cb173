// A gRPC client of OnnxKit's server in another language: @grpc/grpc-js with the service definition loaded at run
// time by @grpc/proto-loader from the server's own .proto (package inference, GRPCInferenceService).
// Usage: node kserve_grpc_client.mjs PROTO HOST:PORT MODEL INPUT_NAME INPUTS.json
// INPUTS.json: {"shape": [n, ...], "data": [floats]}. Prints one JSON object: liveness, model metadata, the output
// with typed contents (fp32_contents), the output with raw contents (raw_input_contents / raw_output_contents), and
// both requests again over the streaming RPC (ModelStreamInfer).
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
const typedRequest = {
  model_name: model,
  inputs: [{ name: inputName, datatype: 'FP32', shape: input.shape, contents: { fp32_contents: input.data } }],
};
const typed = await call('ModelInfer', typedRequest);

// 2. Raw contents: little-endian float32 bytes in, raw bytes back.
const rawRequest = {
  model_name: model,
  inputs: [{ name: inputName, datatype: 'FP32', shape: input.shape }],
  raw_input_contents: [Buffer.from(new Float32Array(input.data).buffer)],
};
const raw = await call('ModelInfer', rawRequest);

// 3. Triton's streaming RPC: both requests on one stream, each answer carrying its request's id.
const streamed = await new Promise((resolve, reject) => {
  const answers = [];
  const stream = client.ModelStreamInfer();
  stream.on('data', (a) => answers.push(a));
  stream.on('error', (e) => reject(new Error(`ModelStreamInfer: ${e.code} ${e.details}`)));
  stream.on('end', () => resolve(answers));
  stream.write({ ...typedRequest, id: 'typed' });
  stream.write({ ...rawRequest, id: 'raw' });
  stream.end();
});

const outputs = (response) => response.outputs.map((o, k) => {
  let data = o.contents ? o.contents.fp32_contents : [];
  if (response.raw_output_contents.length > 0) {
    const bytes = response.raw_output_contents[k];
    data = Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
  }
  return { name: o.name, datatype: o.datatype, shape: o.shape.map(Number), data };
});

console.log(JSON.stringify({
  live: live.live,
  metadata: { name: metadata.name, inputs: metadata.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(Number) })) },
  typed: outputs(typed),
  raw: outputs(raw),
  stream: streamed.map((a) => ({ id: a.infer_response.id, error: a.error_message, outputs: outputs(a.infer_response) })),
}));
client.close();
