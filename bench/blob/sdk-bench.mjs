// Times the official @azure/storage-blob SDK uploading and downloading one blob, the same way
// Program.cs times ours: a streaming upload (uploadStream, the SDK's defaults: 8 MiB buffers,
// 5 at once) and a streaming download (download(), the body read to its end).
// Usage: node sdk-bench.mjs CONNECTION_STRING CONTAINER SIZE_MIB ROUNDS → one JSON line per measurement.
import crypto from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../../tests/tools/package.json"));
const { BlobServiceClient } = require("@azure/storage-blob");

const [connectionString, containerName, sizeArg, roundsArg] = process.argv.slice(2);
const sizeMiB = Number(sizeArg);
const rounds = Number(roundsArg);
const data = crypto.randomBytes(sizeMiB * 1024 * 1024);
const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName);
await container.createIfNotExists();
const blob = container.getBlockBlobClient("bench/sdk.bin");

const upload = async (bytes = data) => {
  const start = process.hrtime.bigint();
  await blob.uploadStream(Readable.from([bytes]));
  return Number(process.hrtime.bigint() - start) / 1e9;
};

const download = async () => {
  const start = process.hrtime.bigint();
  const response = await blob.download();
  let total = 0;
  for await (const chunk of response.readableStreamBody) total += chunk.length;
  return [Number(process.hrtime.bigint() - start) / 1e9, total];
};

// Warm-up on a small blob that still takes the block path.
await upload(data.subarray(0, 9 * 1024 * 1024));
await download();
for (let round = 0; round < rounds; round++) {
  const up = await upload();
  const [down, total] = await download();
  if (total !== data.length) throw new Error(`downloaded ${total} of ${data.length} bytes`);
  console.log(JSON.stringify({ client: "sdk", op: "upload", mibps: +(sizeMiB / up).toFixed(1) }));
  console.log(JSON.stringify({ client: "sdk", op: "download", mibps: +(sizeMiB / down).toFixed(1) }));
}
