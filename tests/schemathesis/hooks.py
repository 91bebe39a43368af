"""schemathesis hooks for pharmedge: the credentials each operation needs.

- /v1/... member routes: a member bearer token (HS256, MEMBER_JWT_SECRET), from a small pool
  of members so the run does not create thousands of member objects;
- /v1/store/...: a clerk of store S1; /v1/admin/outbox/... and /v1/admin/catalog/...: an
  admin; other /v1/admin/...: marketing (STAFF_JWT_SECRET);
- /v1/core/... (core events, catalogue pushes): `Core-Signature: t=<unix>,v1=<hex HMAC-SHA256(
  CORE_SIGNING_SECRET, "<t>.<raw body>")>`, computed over the exact bytes sent (as a
  requests auth hook, which runs after the body is serialized);
- /healthz, /s/..., /r/..., /v1/catalog/...: nothing.

The secrets come from the JSON file named by PHARMEDGE_EDGE_JSON (written by
scripts/schemathesis from tests/schemathesis/edge.mjs, which takes them from the e2e harness).
"""

import base64
import hashlib
import hmac
import itertools
import json
import os
import time

import requests
import schemathesis

with open(os.environ["PHARMEDGE_EDGE_JSON"], encoding="utf-8") as handle:
    SECRETS = json.load(handle)["secrets"]

MEMBER_POOL = [f"st-member-{n}" for n in range(8)]
_members = itertools.cycle(MEMBER_POOL)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def jwt(claims: dict, secret: str) -> str:
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(sig)}"


def member_token() -> str:
    now = int(time.time())
    claims = {"sub": next(_members), "iat": now, "exp": now + 3600, "reg": now - 86400}
    return jwt(claims, SECRETS["MEMBER_JWT_SECRET"])


def staff_token(role: str, store: str | None = None) -> str:
    now = int(time.time())
    claims = {"sub": f"st-{role}", "role": role, "exp": now + 3600}
    if store:
        claims["store"] = store
    return jwt(claims, SECRETS["STAFF_JWT_SECRET"])


class CoreSignature(requests.auth.AuthBase):
    """Signs the prepared request's exact body bytes."""

    def __call__(self, request):
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        t = int(time.time())
        mac = hmac.new(SECRETS["CORE_SIGNING_SECRET"].encode(), f"{t}.".encode() + body, hashlib.sha256)
        request.headers["Core-Signature"] = f"t={t},v1={mac.hexdigest()}"
        return request


def credentials_for(path: str) -> tuple[str, object]:
    """('bearer', token) | ('core', None) | ('none', None) for an OpenAPI path template."""
    if path.startswith("/v1/core/"):
        return ("core", None)
    if path.startswith("/v1/catalog/"):
        return ("none", None)
    if path.startswith("/v1/store/"):
        return ("bearer", staff_token("clerk", "S1"))
    if path.startswith(("/v1/admin/outbox/", "/v1/admin/catalog/")):
        return ("bearer", staff_token("admin"))
    if path.startswith("/v1/admin/"):
        return ("bearer", staff_token("marketing"))
    if path.startswith("/v1/"):
        return ("bearer", member_token())
    return ("none", None)


@schemathesis.hook
def before_call(context, case, kwargs):
    kind, token = credentials_for(case.operation.path)
    if case.headers is None:
        case.headers = {}
    if kind == "bearer":
        case.headers["Authorization"] = f"Bearer {token}"
    elif kind == "core":
        case.headers.pop("Core-Signature", None)
        kwargs["auth"] = CoreSignature()
