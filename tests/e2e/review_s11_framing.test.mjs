// The session-11 review's finding: a request with both `Transfer-Encoding: chunked` and
// `Content-Length: 0` was answered as if it had no body (the lean entry trusted the length).
// The encoding frames the body (RFC 9112 6.3), so the body is read, as before: the make-up is
// judged on its date (422), not refused for a missing body (400). Sent as raw HTTP/1.1, since
// fetch refuses to send both headers.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { useWorld, memberToken } from "./harness.mjs";

const world = useWorld();

function raw(url, text) {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1");
    let answer = "";
    socket.setTimeout(10_000, () => socket.destroy(new Error("no answer in 10 s")));
    socket.on("data", (data) => (answer += data));
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
    socket.write(text);
  });
}

const makeupRequest = (framing) => {
  const body = '{"date":"2026-07-09"}';
  const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  return [
    "POST /v1/checkins/makeup HTTP/1.1",
    "Host: pharmedge.test",
    `Authorization: Bearer ${memberToken("framing-1")}`,
    "X-Test-Now: 2026-07-10T04:00:00Z",
    "Content-Type: application/json",
    "Connection: close",
    ...framing,
    "",
    chunked,
  ].join("\r\n");
};

test("a chunked body is read even when Content-Length says 0", async () => {
  const plain = await raw(world.url, makeupRequest(["Transfer-Encoding: chunked"]));
  const both = await raw(world.url, makeupRequest(["Transfer-Encoding: chunked", "Content-Length: 0"]));
  const status = (answer) => answer.split("\r\n")[0];
  const code = (answer) => JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4).replace(/^[0-9a-f]+\r\n/i, "").replace(/\r\n0\r\n\r\n$/, "")).code;
  // The body was read and judged: no check-in yet this month, so the make-up is refused on its merits.
  assert.match(status(plain), / 422 /, plain);
  assert.equal(status(both), status(plain), both);
  assert.equal(code(both), code(plain));
  assert.notEqual(code(both), "invalid_request");
});
