// Validates what the Functions host reads from a publish folder against the published schemas in
// tests/fixtures/schemas/azure-functions: host.json, and each entry of the SDK's functions.metadata
// as the function.json it stands for ({bindings: [...]}). The function.json schema's sql/mysql
// definitions match any binding, so its `oneOf` is read as `anyOf` (see that folder's README).
// Usage: node validate-publish.mjs SCHEMA_DIR PUBLISH_DIR   → prints one line per file or function, exits 1 on any error.
import fs from "node:fs";
import path from "node:path";
import Ajv07 from "ajv";
import Ajv04 from "ajv-draft-04";

const [schemaDir, publishDir] = process.argv.slice(2);
const load = (file) => JSON.parse(fs.readFileSync(file, "utf8"));

const oneOfAsAnyOf = (node) => {
  if (Array.isArray(node)) return node.map(oneOfAsAnyOf);
  if (node && typeof node === "object") {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k === "oneOf" ? "anyOf" : k, oneOfAsAnyOf(v)]));
  }
  return node;
};

const hostValidate = new Ajv07({ strict: false, allErrors: true }).compile(load(path.join(schemaDir, "host.schema.json")));
const functionValidate = new Ajv04({ strict: false, allErrors: true }).compile(oneOfAsAnyOf(load(path.join(schemaDir, "function.schema.json"))));

let failures = 0;
const check = (name, document, validate) => {
  const ok = validate(document);
  console.log(`${ok ? "valid" : "INVALID"} ${name}${ok ? "" : " " + JSON.stringify(validate.errors.filter((e) => !e.message.includes("additional properties") || e.instancePath).slice(0, 5))}`);
  if (!ok) failures++;
};

check("host.json", load(path.join(publishDir, "host.json")), hostValidate);
for (const entry of load(path.join(publishDir, "functions.metadata"))) {
  // The SDK adds a per-binding "properties" bag function.json never had, and writes the enums the host
  // parses case-insensitively in PascalCase ("In", "Anonymous"); function.json spells them in lower case.
  const lower = (value) => (typeof value === "string" ? value.toLowerCase() : value);
  const bindings = entry.bindings.map(({ properties, ...binding }) =>
    ({ ...binding, direction: lower(binding.direction), ...(binding.authLevel ? { authLevel: lower(binding.authLevel) } : {}) }));
  check(`${entry.name} (functions.metadata)`, { bindings }, functionValidate);
}
process.exit(failures ? 1 : 0);
