// Validates a written Functions manifest (host.json + */function.json) against the published
// schemas in tests/fixtures/schemas/azure-functions. The function.json schema's sql/mysql definitions
// match any binding, so its `oneOf` is read as `anyOf` (see that folder's README).
// Usage: node validate-manifest.mjs SCHEMA_DIR MANIFEST_DIR   → prints one line per file, exits 1 on any error.
import fs from "node:fs";
import path from "node:path";
import Ajv07 from "ajv";
import Ajv04 from "ajv-draft-04";

const [schemaDir, manifestDir] = process.argv.slice(2);
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
const check = (file, validate) => {
  const ok = validate(load(file));
  console.log(`${ok ? "valid" : "INVALID"} ${path.relative(manifestDir, file)}${ok ? "" : " " + JSON.stringify(validate.errors)}`);
  if (!ok) failures++;
};

check(path.join(manifestDir, "host.json"), hostValidate);
for (const entry of fs.readdirSync(manifestDir, { withFileTypes: true })) {
  const file = path.join(manifestDir, entry.name, "function.json");
  if (entry.isDirectory() && fs.existsSync(file)) check(file, functionValidate);
}
process.exit(failures ? 1 : 0);
