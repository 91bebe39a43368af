// Every e2e response is validated against schemas/openapi.yaml (the harness calls
// `validateResponse` on each answer; tests call `validateSchema` on bodies sent elsewhere).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import YAML from "yaml";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { ROOT } from "../../scripts/lib/local-edge.mjs";

const openapi = YAML.parse(readFileSync(join(ROOT, "schemas/openapi.yaml"), "utf8"));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(openapi, "openapi.json");
const pointer = (...parts) => parts.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
const templates = Object.keys(openapi.paths).map((template) => ({
  template,
  regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
}));

export function validateSchema(ref, value) {
  const validate = ajv.getSchema(`openapi.json#/components/schemas/${ref}`);
  assert.ok(validate, `no schema ${ref}`);
  assert.ok(validate(value), `${ref} does not validate: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
}

export function validateResponse(method, path, status, contentType, body) {
  const isProblem = contentType.startsWith("application/problem+json");
  const match = templates.find((t) => t.regex.test(path));
  if (!match || !openapi.paths[match.template][method.toLowerCase()]) {
    // Unknown paths and methods answer a plain problem.
    assert.ok([404, 405].includes(status), `${method} ${path} is not in the spec but answered ${status}`);
    return validateSchema("Problem", body);
  }
  const responses = openapi.paths[match.template][method.toLowerCase()].responses;
  assert.ok(responses[String(status)], `${method} ${match.template}: status ${status} is not in the spec`);
  const media = contentType.split(";")[0].trim();
  const ref = pointer("paths", match.template, method.toLowerCase(), "responses", status);
  const response = responses[String(status)].$ref
    ? openapi.components.responses[responses[String(status)].$ref.split("/").pop()]
    : responses[String(status)];
  if (!response.content) return;
  assert.ok(response.content[media], `${method} ${match.template} ${status}: content type ${media} is not in the spec`);
  const schemaPath = response === responses[String(status)]
    ? `openapi.json#/${ref}/content/${pointer(media)}/schema`
    : `openapi.json#/components/responses/${responses[String(status)].$ref.split("/").pop()}/content/${pointer(media)}/schema`;
  const validate = ajv.getSchema(schemaPath);
  assert.ok(validate, `no schema at ${schemaPath}`);
  assert.ok(validate(body), `${method} ${path} ${status} does not match the spec: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
  if (isProblem) assert.equal(body.status, status, "problem status equals the HTTP status");
}

