// Review of issue 12 (finding F2) against the runtime: a landing URL configured with a zh-CN
// query and a space still redirects to a URI (percent-encoded, as the `url` crate wrote it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken } from "./harness.mjs";

const world = useWorld({ vars: { REFERRAL_LANDING_URL: "https://m.pharmedge.dev/欢迎?from=分享 页" } });

test("a configured landing URL with non-ASCII and a space redirects to a percent-encoded URI", async () => {
  const link = await world.api("POST", "/v1/referrals/link", { token: memberToken("landing-1") });
  assert.equal(link.status, 200, link.text);
  const tapped = await world.api("GET", `/r/${link.json.code}`, { headers: { "user-agent": "test-phone" } });
  assert.equal(tapped.status, 302);
  const location = tapped.headers.get("location");
  console.log(`# location: ${location}`);
  assert.equal(
    location,
    `https://m.pharmedge.dev/%E6%AC%A2%E8%BF%8E?from=%E5%88%86%E4%BA%AB%20%E9%A1%B5&ref=${link.json.code}&utm_source=referral&utm_medium=share`,
  );
});
