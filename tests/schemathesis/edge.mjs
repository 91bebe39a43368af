// Starts what schemathesis tests against: the built worker (build/) in workerd through
// Miniflare, with the local core stub as the core system, the e2e harness's test secrets and
// vars (ALLOW_TEST_CLOCK included), on a fresh persisted state, seeded (seed.mjs). Prints one JSON line
// {"url": ..., "secrets": {...}, "fixtures": {...}} when ready, then runs until SIGTERM or SIGINT.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCoreStub } from "../../scripts/core-stub.mjs";
import { startEdge } from "../../scripts/lib/local-edge.mjs";
import { SECRETS, TEST_VARS, NO_MEMBER_WRITE_LIMIT } from "../e2e/harness.mjs";
import { seed } from "./seed.mjs";

const persistDir = mkdtempSync(join(tmpdir(), "pharmedge-schemathesis-"));
const stub = await startCoreStub({ secret: SECRETS.EDGE_SIGNING_SECRET });
// A pool of 8 members makes thousands of writes: the per-member abuse limit (tested as shipped
// in tests/e2e/breaks.test.mjs) would leave most of them untested behind 429s.
const edge = await startEdge({
  persistDir,
  vars: { ...SECRETS, ...TEST_VARS, CORE_BASE_URL: stub.url },
  ratelimits: NO_MEMBER_WRITE_LIMIT,
});
const fixtures = await seed(edge.url);
console.log(JSON.stringify({ url: edge.url, secrets: SECRETS, fixtures }));

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await edge.mf.dispose().catch(() => {});
  await stub.close().catch(() => {});
  rmSync(persistDir, { recursive: true, force: true });
  process.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, stop);
setInterval(() => {}, 1 << 30); // keep running until a signal
