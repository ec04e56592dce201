// The official JavaScript SDK (@azure/storage-blob) on the other side of our .NET blob adapter, so tests
// can check that each reads what the other wrote. Prints one JSON line; exits 1 on error.
// Usage:
//   node blob-sdk.mjs upload   CONNECTION_STRING CONTAINER BLOB FILE [CONTENT_TYPE] [METADATA_JSON]
//   node blob-sdk.mjs download CONNECTION_STRING CONTAINER BLOB FILE
//     → {"length":N,"sha256":"…","contentType":"…","metadata":{…},"blobType":"…"}
//   node blob-sdk.mjs blocks   CONNECTION_STRING CONTAINER BLOB
//     → {"committed":[size,…],"uncommitted":N}  (Get Block List: how a block blob was uploaded)
import crypto from "node:crypto";
import fs from "node:fs";
import { BlobServiceClient } from "@azure/storage-blob";

const [command, connectionString, containerName, blobName, file, contentType, metadataJson] = process.argv.slice(2);

const sha256 = (path) =>
  new Promise((resolve, reject) => {
    const hash = crypto.createHash("sha256");
    fs.createReadStream(path).on("data", (d) => hash.update(d)).on("end", () => resolve(hash.digest("hex"))).on("error", reject);
  });

try {
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName);
  const blob = container.getBlockBlobClient(blobName);
  if (command === "blocks") {
    const list = await blob.getBlockList("all");
    console.log(JSON.stringify({
      committed: (list.committedBlocks ?? []).map((b) => b.size),
      uncommitted: (list.uncommittedBlocks ?? []).length,
    }));
    process.exit(0);
  }
  if (command === "upload") {
    await container.createIfNotExists();
    // Small blocks and a small single-shot limit, so a file of a few MiB goes up as staged blocks.
    await blob.uploadFile(file, {
      blockSize: 1024 * 1024,
      maxSingleShotSize: 1024 * 1024,
      concurrency: 4,
      blobHTTPHeaders: contentType ? { blobContentType: contentType } : undefined,
      metadata: metadataJson ? JSON.parse(metadataJson) : undefined,
    });
  } else if (command === "download") {
    await blob.downloadToFile(file);
  } else {
    throw new Error(`unknown command ${command}`);
  }

  const properties = await blob.getProperties();
  console.log(JSON.stringify({
    length: properties.contentLength,
    sha256: await sha256(file),
    contentType: properties.contentType,
    metadata: properties.metadata,
    blobType: properties.blobType,
  }));
} catch (error) {
  console.error(`blob-sdk: ${error.message}`);
  process.exit(1);
}
