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
from hypothesis import strategies as st

with open(os.environ["PHARMEDGE_EDGE_JSON"], encoding="utf-8") as handle:
    EDGE = json.load(handle)
SECRETS = EDGE["secrets"]
# What tests/schemathesis/seed.mjs created: known ids that reach the success paths.
FIXTURES = EDGE["fixtures"]

MEMBER_POOL = [f"st-member-{n}" for n in range(8)]
_members = itertools.cycle(MEMBER_POOL)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def jwt(claims: dict, secret: str) -> str:
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(sig)}"


def member_token(member: str | None = None) -> str:
    now = int(time.time())
    claims = {"sub": member or next(_members), "iat": now, "exp": now + 3600, "reg": now - 86400}
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


def credentials_for(path: str, path_parameters: dict | None = None) -> tuple[str, object]:
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
    order = (path_parameters or {}).get("id" if path.startswith("/v1/orders/") else "order_id")
    if path.startswith(("/v1/orders/", "/v1/pickups/")) and order in FIXTURES["orders"]:
        return ("bearer", member_token(FIXTURES["order_owner"]))
    if path.startswith("/v1/"):
        return ("bearer", member_token())
    return ("none", None)


def _integral_floats_to_ints(value):
    """JSON Schema counts 355.0 as an integer; the server takes integer literals only (355.0 is
    400, documented). Such numbers are sent as integers (they are schema-valid either way, so no
    negative case is lost), so that a 400 for schema-valid data means the schema is looser than
    the server."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral_floats_to_ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral_floats_to_ints(item) for item in value]
    return value


def _body_digest(body) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]


@schemathesis.hook
def before_call(context, case, kwargs):
    kind, token = credentials_for(case.operation.path, case.path_parameters)
    if case.headers is None:
        case.headers = {}
    if isinstance(case.body, (dict, list)):
        case.body = _integral_floats_to_ints(case.body)
    # Generated Idempotency-Keys repeat a lot ("0", "00"...), so most writes would only meet
    # 422 idempotency_key_reused. For every other body, a valid key is made body-specific (a
    # replay of the same body still replays); the rest keep the reuse path under test.
    key = case.headers.get("Idempotency-Key")
    if isinstance(key, str) and 1 <= len(key) <= 200 and key.isascii() and key.isprintable() and " " not in key:
        digest = _body_digest(case.body if not isinstance(case.body, bytes) else case.body.hex())
        if int(digest[-1], 16) % 2 == 0:
            case.headers["Idempotency-Key"] = f"{key}-{digest}"
    if kind == "bearer":
        case.headers["Authorization"] = f"Bearer {token}"
    elif kind == "core":
        case.headers.pop("Core-Signature", None)
        kwargs["auth"] = CoreSignature()


# --- steering generated data towards the seeded fixtures (half the time, decided by the
# seeded hypothesis draw, so a run stays reproducible from its seed)


def _half(original, replaced):
    return st.sampled_from([original, replaced])


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    path = context.operation.path
    params = dict(path_parameters or {})
    if path.startswith("/s/"):
        params.update(campaign=FIXTURES["poster"]["campaign"], store=FIXTURES["poster"]["store"])
    elif path.startswith("/r/"):
        params["code"] = FIXTURES["referral_code"]
    elif path.startswith(("/v1/campaigns/", "/v1/admin/campaigns/")) and "id" in params:
        return st.sampled_from([path_parameters] + [{**params, "id": c} for c in FIXTURES["campaigns"]])
    elif path.startswith("/v1/orders/") and "id" in params:
        return st.sampled_from([path_parameters] + [{**params, "id": o} for o in FIXTURES["orders"]])
    elif path.startswith("/v1/pickups/") and "order_id" in params:
        return st.sampled_from([path_parameters] + [{**params, "order_id": o} for o in FIXTURES["orders"]])
    else:
        return st.just(path_parameters)
    return _half(path_parameters, params)


@schemathesis.hook
def flatmap_query(context, query):
    if context.operation.path.startswith("/s/") and isinstance(query, dict):
        return _half(query, {**query, "sig": FIXTURES["poster"]["sig"]})
    return st.just(query)


@schemathesis.hook
def flatmap_body(context, body):
    operation = context.operation
    if operation.method.upper() == "POST" and operation.path == "/v1/orders":
        return _order_body(body)
    if not (operation.method.upper() == "POST" and operation.path == "/v1/admin/campaigns"):
        return st.just(body)
    return _campaign_body(body)


def _order_body(body):
    """Orders, half the time: the seeded coupon or none, and a prescription for Rx lines."""
    if not isinstance(body, dict) or not isinstance(body.get("lines"), list):
        return st.just(body)
    fixed = {**body, "prescription_id": "rx-st-1"}
    fixed.pop("coupon_id", None)
    return st.sampled_from([body, fixed, {**fixed, "coupon_id": FIXTURES["coupon_id"]}])


def _campaign_body(body):
    """New campaigns, half the time: a unique id and a window the server accepts (ends after
    it starts, at most 366 days); threshold coupons with a minimum above their value."""
    if not isinstance(body, dict) or not isinstance(body.get("coupon"), dict):
        return st.just(body)
    fixed = dict(body)
    now = int(time.time())
    fixed["starts_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 3600))
    fixed["ends_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 30 * 86400))
    coupon = dict(body["coupon"])
    coupon.pop("valid_until", None)
    coupon["valid_days"] = coupon.get("valid_days") if isinstance(coupon.get("valid_days"), int) else 7
    if coupon.get("type") == "threshold" and isinstance(coupon.get("value_fen"), int):
        coupon["min_spend_fen"] = coupon["value_fen"] + 1
    fixed["coupon"] = coupon
    return st.integers(min_value=0, max_value=10**9).map(
        lambda n: {**fixed, "id": f"st-gen-{n}"}
    ).flatmap(lambda candidate: _half(body, candidate))
