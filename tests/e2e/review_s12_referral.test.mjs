// The outside attack of session 12: the inviter's own phone, known to the edge only from the
// `dev` claim of the token the inviter shared a link with, is a device seen before: a second
// account registered on it is not bound to the link (no self-referral through a second account).
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken, staffToken } from "./harness.mjs";

const world = useWorld();
const NOW = "2026-07-01T03:00:00Z";
const REGISTERED = "2026-07-01T02:30:00Z";
let seq = 0;
const registered = (member, ref_code, device_id) =>
  world.coreEvent(
    { id: `evt-s12r-${++seq}`, type: "member.registered", created_at: NOW, data: { member_id: member, registered_at: REGISTERED, device_id, real_name_verified: false, ref_code } },
    { now: NOW },
  );
const summary = async (member) => {
  const r = await world.api("GET", "/v1/referrals/me", { token: memberToken(member), now: NOW });
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const points = async (member) => (await world.api("GET", "/v1/me", { token: memberToken(member), now: NOW })).json.points.balance;

test("a second account on the phone the inviter shared the link from is not bound", async () => {
  const link = await world.api("POST", "/v1/referrals/link", { token: memberToken("s12-inviter", { dev: "phone-of-inviter" }), now: NOW });
  assert.equal(link.status, 200, link.text);
  assert.equal((await registered("s12-second-account", link.json.code, "phone-of-inviter")).status, 200);
  // A friend on a phone of their own is bound to the same link.
  assert.equal((await registered("s12-friend", link.json.code, "phone-of-friend")).status, 200);
  await world.waitFor(async () => (await summary("s12-inviter")).bound === 1, { what: "the friend's binding" });
  const refused = async () =>
    (await world.api("GET", "/v1/admin/referrals/stats", { token: staffToken("mkt-s12", "marketing") })).json.refused ?? {};
  await world.waitFor(async () => (await refused()).device_seen === 1, { what: "the refusal" });
  assert.equal((await summary("s12-inviter")).bound, 1);
  assert.equal(await points("s12-second-account"), 0);
  assert.equal(await points("s12-friend"), 50);
  // The link without a device claim (another phone's app, an old token) still works.
  const again = await world.api("POST", "/v1/referrals/link", { token: memberToken("s12-inviter"), now: NOW });
  assert.deepEqual([again.status, again.json.code], [200, link.json.code]);
});
