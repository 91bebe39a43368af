"""schemathesis hooks for pharmedge: the credentials each operation needs.

- /v1/... member routes: a member bearer token (HS256, MEMBER_JWT_SECRET), from a small pool
  of members so the run does not create thousands of member objects;
- /v1/store/...: a clerk of store S1; /v1/admin/outbox/..., /v1/admin/catalog/... and
  /v1/admin/members/...: an admin; other /v1/admin/...: marketing (STAFF_JWT_SECRET);
- /v1/core/... (core events, catalogue pushes): `Core-Signature: t=<unix>,v1=<hex HMAC-SHA256(
  CORE_SIGNING_SECRET, "<t>.<raw body>")>`, computed over the exact bytes sent (as a
  requests auth hook, which runs after the body is serialized);
- /healthz, /s/..., /r/..., /v1/catalog/...: nothing.

The secrets come from the JSON file named by PHARMEDGE_EDGE_JSON (written by
scripts/schemathesis from tests/schemathesis/edge.mjs, which takes them from the e2e harness).
"""

import ast
import base64
import hashlib
import hmac
import itertools
import json
import os
import threading
import time

import requests
import schemathesis
from hypothesis import strategies as st

# CPython 3.11 keeps the AST converter's recursion depth per interpreter, not per thread: with
# two workers, hypothesis describing a strategy's lambda (ast.parse of its source) can fail with
# "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905), a runtime error
# of the tool, not of the API. One parse at a time, retried; if it still fails, the description
# is left without the lambda's source (it only names a strategy in a message).
_AST_LOCK = threading.Lock()
_ast_parse = ast.parse


def _parse_one_at_a_time(*args, **kwargs):
    with _AST_LOCK:
        for _ in range(5):
            try:
                return _ast_parse(*args, **kwargs)
            except SystemError as error:
                if "recursion depth mismatch" not in str(error):
                    raise
                time.sleep(0.01)
    return ast.Module(body=[], type_ignores=[])


ast.parse = _parse_one_at_a_time

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


def credentials_for(path: str, path_parameters: dict | None = None, body_member: str | None = None) -> tuple[str, object]:
    """('bearer', token) | ('core', None) | ('none', None) for an OpenAPI path template;
    `body_member` is the member an order body's seeded coupon or prescription belongs to."""
    if path.startswith("/v1/core/"):
        return ("core", None)
    if path.startswith("/v1/catalog/"):
        return ("none", None)
    if path.startswith("/v1/store/"):
        return ("bearer", staff_token("clerk", "S1"))
    if path.startswith(("/v1/admin/outbox/", "/v1/admin/catalog/", "/v1/admin/members/")):
        return ("bearer", staff_token("admin"))
    if path.startswith("/v1/admin/"):
        return ("bearer", staff_token("marketing"))
    if path == "/v1/orders" and body_member:
        return ("bearer", member_token(body_member))
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


def _seeded_owner(body) -> str | None:
    """The owner of a seeded coupon or prescription named by an order body, if any."""
    if not isinstance(body, dict):
        return None
    seeded = set(FIXTURES["coupons"]) | set(FIXTURES["prescriptions"]) | set(FIXTURES["bad_prescriptions"])
    named = [body.get("coupon_id"), body.get("prescription_id")]
    if any(isinstance(value, str) and value in seeded for value in named):
        return FIXTURES["order_owner"]
    return None


def _unique_skus(body):
    """A SKU twice in one catalogue batch is 400 (a rule JSON Schema cannot state: uniqueItems
    compares whole items), so a generated batch repeating one gets the repeats renamed; every
    other property of the case is kept. tests/e2e/catalog_input.test.mjs and tests/http_input.rs
    test the duplicate itself."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return body
    seen = set()
    items = []
    for index, item in enumerate(body["items"]):
        sku = item.get("sku") if isinstance(item, dict) else None
        if isinstance(sku, str) and sku in seen:
            item = {**item, "sku": f"{sku[:56]}-dup{index:04d}"}
        if isinstance(item, dict) and isinstance(item.get("sku"), str):
            seen.add(item["sku"])
        items.append(item)
    return {**body, "items": items}


@schemathesis.hook
def before_call(context, case, kwargs):
    if isinstance(case.body, (dict, list)):
        case.body = _integral_floats_to_ints(case.body)
    if case.operation.path == "/v1/core/catalog":
        case.body = _unique_skus(case.body)
    body_member = _seeded_owner(case.body) if case.operation.path == "/v1/orders" else None
    kind, token = credentials_for(case.operation.path, case.path_parameters, body_member)
    if case.headers is None:
        case.headers = {}
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
    elif path == "/v1/admin/catalog/{sku}" and context.operation.method.upper() == "PATCH":
        # Stops only on SKUs kept for it: the ones orders use stay on sale.
        return st.sampled_from([path_parameters] + [{**params, "sku": s} for s in FIXTURES["admin_skus"]])
    elif path in ("/v1/catalog/{sku}", "/v1/admin/catalog/{sku}") and "sku" in params:
        return st.sampled_from([path_parameters] + [{**params, "sku": s} for s in FIXTURES["catalog"]])
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
    if operation.method.upper() == "POST" and operation.path == "/v1/core/catalog":
        return _catalog_body(body)
    if operation.method.upper() == "POST" and operation.path == "/v1/core/events":
        return _event_body(body)
    if not (operation.method.upper() == "POST" and operation.path == "/v1/admin/campaigns"):
        return st.just(body)
    return _campaign_body(body)


def _seeded_lines(lines, skus, small):
    """The generated lines on seeded SKUs: quantities within the per-order limits when `small`,
    and a shown price that is the catalogue's (or, for one line in three, another)."""
    fixed = []
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            fixed.append(line)
            continue
        sku = skus[index % len(skus)]
        new = {**line, "sku": sku}
        if small or not isinstance(line.get("qty"), int):
            new["qty"] = 1 + index % 2
        if isinstance(line.get("unit_price_fen"), int):
            price = FIXTURES["catalog"][sku]["price_fen"]
            new["unit_price_fen"] = price if index % 3 else price + 1
        fixed.append(new)
    return fixed


def _order_body(body):
    """Orders on seeded SKUs: OTC lines (with a seeded coupon or none), Rx lines with a
    usable, a revoked, an expired or an unknown prescription, or without one, lines on the
    special, stopped and limited items; the generated body is kept as one of the choices."""
    if not isinstance(body, dict) or not isinstance(body.get("lines"), list) or not body["lines"]:
        return st.just(body)
    lines = body["lines"][:5]
    base = {key: value for key, value in body.items() if key not in ("coupon_id", "prescription_id")}
    otc = {**base, "lines": _seeded_lines(lines, ["st-otc-1"], small=True)}
    rx = {**base, "lines": _seeded_lines(lines, ["st-rx-1", "st-otc-1"], small=True)}
    others = {**base, "lines": _seeded_lines(lines, list(FIXTURES["catalog"]), small=False)}
    # Over the per-order limit of the OTC item (10) only by adding up its lines.
    over = {**base, "lines": [{"sku": "st-otc-1", "qty": 6}, {"sku": "st-otc-1", "qty": 5}]}
    return st.sampled_from(
        [
            body,
            otc,
            {**otc, "coupon_id": FIXTURES["coupons"][0]},
            rx,
            others,
            over,
        ]
    ).flatmap(
        lambda chosen: st.sampled_from(FIXTURES["coupons"]).flatmap(
            lambda coupon: st.sampled_from(FIXTURES["prescriptions"] + FIXTURES["bad_prescriptions"]).map(
                lambda prescription: _with_refs(chosen, coupon, prescription, rx)
            )
        )
    )


def _with_refs(chosen, coupon, prescription, rx):
    """A drawn coupon for the seeded OTC order that names one; a drawn prescription for Rx."""
    if chosen == rx:
        return {**chosen, "prescription_id": prescription}
    if isinstance(chosen, dict) and chosen.get("coupon_id") == FIXTURES["coupons"][0]:
        return {**chosen, "coupon_id": coupon}
    return chosen


def _catalog_body(body):
    """Catalogue pushes, besides the generated body: the same under a batch id of its own (the
    generated ids repeat, and the same id with another body is 422), and one that re-sends a
    seeded item at an older version (ignored: `applied` 0 for it)."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return st.just(body)

    def variants(n):
        fresh = {**body, "batch_id": f"st-gen-batch-{n}"}
        stale = dict(FIXTURES_CATALOG_ITEMS[n % len(FIXTURES_CATALOG_ITEMS)], version=0)
        late = {**fresh, "batch_id": f"st-gen-late-{n}", "items": [stale] + [
            item for item in body["items"][:999] if not (isinstance(item, dict) and item.get("sku") == stale["sku"])
        ]}
        return st.sampled_from([body, fresh, late])

    return st.integers(min_value=0, max_value=10**9).flatmap(variants)


# The seeded items as pushed (for the late re-sends above).
FIXTURES_CATALOG_ITEMS = [
    {"sku": sku, "name": f"late {sku}", "drug_class": item["drug_class"], "price_fen": item["price_fen"],
     "version": item["version"], "status": "on_sale"}
    for sku, item in FIXTURES["catalog"].items()
]


def _event_body(body):
    """Prescription events, besides the generated body: for a pool member and the seeded Rx SKU
    (the generated ids are kept, so they do not touch the seeded prescriptions)."""
    if not isinstance(body, dict) or body.get("type") not in ("prescription.approved", "prescription.revoked"):
        return st.just(body)
    data = body.get("data")
    if not isinstance(data, dict):
        return st.just(body)
    fixed = {**data, "member_id": MEMBER_POOL[1]}
    if isinstance(data.get("items"), list) and data["items"] and isinstance(data["items"][0], dict):
        fixed["items"] = [{**data["items"][0], "sku": "st-rx-1"}] + data["items"][1:]
    if isinstance(fixed.get("prescription_id"), str) and fixed["prescription_id"].startswith("st-presc"):
        return st.just(body)
    return _half(body, {**body, "data": fixed})


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
