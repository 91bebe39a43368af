// pharmedge's entry around the wasm: worker-build's CUSTOM_SHIM template (scripts/lib/setup.sh
// build_worker), in place of its default shim's panic recovery, which wraps the entrypoint and
// every Durable Object class in a Proxy that makes a new Proxy around each method on every
// call, and makes wasm-bindgen check a terminated flag inside a try/catch at every crossing
// into or out of the wasm. Here the safety net is at the entry points only.
//
// Our code must not panic. If the wasm traps anyway (a panic aborts to `unreachable`, or out of
// memory), its instance is poisoned: its async executor stops in the middle of a run and
// never runs a task again, borrows stay held. So the next request to this isolate gets a new
// instance of the module: wasm-bindgen's own reset (fresh memory and caches; objects and
// closures of the old instance refuse to run) and a new Rust struct for each Durable Object
// (as after an eviction: its storage is intact, what it held in memory is gone). workerd has
// no call that discards the isolate, and a Durable Object's `ctx.abort()` resets the object,
// not the module the isolate shares. The requests in flight on the old instance fail.
import * as imports from "./index_bg.js";
import wasmModule from "./index.wasm";
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";
$SNIPPET_JS_IMPORTS

const wasmImports = {
  "./index_bg.js": imports,
  $SNIPPET_WASM_IMPORTS
};

// The bundler target's reset (the glue's internal __wbg_reset_state) instantiates the module
// from these free names, which only the other targets declare.
globalThis.wasmModule = wasmModule;
globalThis.__wbg_get_imports = () => wasmImports;
globalThis.wasmInstance = new WebAssembly.Instance(wasmModule, wasmImports);
imports.__wbg_set_wasm(globalThis.wasmInstance.exports);
globalThis.wasmInstance.exports.__wbindgen_start?.();

// The `worker` crate's panic hook sets `criticalError` on this object (its inline JS).
const initState = globalThis.__worker_init_state;
// wasm-bindgen's `schedule_reinit` import: the glue resets before the next call into the wasm.
const scheduleReinit = Object.entries(imports).find(([name]) => name.startsWith("__wbg___wbindgen_reinit_"))?.[1];
if (!initState || typeof scheduleReinit !== "function") {
  throw new Error("shim: the wasm-bindgen glue lacks __worker_init_state or its reinit import");
}

// The classes exported below: a Durable Object class of the wasm left out fails the start.
const wrapped = new Set();

// Bumped at each new instance; a Durable Object whose Rust struct is older makes a new one.
let generation = 0;

function recover() {
  console.error("wasm instance poisoned by a trap: instantiating the module again");
  initState.criticalError = false;
  scheduleReinit();
  imports.__worker_init_state(); // any export call: the glue resets first
  generation++;
}

// The calls in flight on this instance, by the function that fails each. A trap stops the
// instance's executor, so their promises would never settle: an object's caller would wait until
// it gave up (the runtime cancels a hung worker request, not an object call). They fail at once.
const inFlight = new Set();

function noteTrap(error) {
  if (error instanceof WebAssembly.RuntimeError) {
    console.error("wasm trap:", error);
    initState.criticalError = true;
    for (const fail of inFlight) fail(error);
    inFlight.clear();
  }
}

// A trap inside a future's poll is thrown from the executor's microtask, not to the request's
// promise (which then never settles): it reaches these.
addEventListener("error", (event) => noteTrap(event.error));
addEventListener("unhandledrejection", (event) => noteTrap(event.reason));

// Calls `call` (an export), recovering first if the instance is poisoned; a trap thrown at once
// marks it poisoned for the next request, and a later one fails the returned promise.
function enter(call) {
  if (initState.criticalError) recover();
  let result;
  try {
    result = call();
  } catch (error) {
    noteTrap(error);
    throw error;
  }
  if (!(result instanceof Promise)) return result;
  return new Promise((resolve, reject) => {
    inFlight.add(reject);
    result.then(
      (value) => {
        inFlight.delete(reject);
        resolve(value);
      },
      (error) => {
        inFlight.delete(reject);
        reject(error);
      },
    );
  });
}

// The wasm's `serve` answers either a Response (routes built through the `worker` crate) or
// the text of one (src/http/response.rs `Lean::encode`: the status, a `name:value` line per
// header, an empty line, the body; an empty body is none): the hot paths' answers cross out
// of the wasm as one string instead of a dozen calls building Headers and a Response.
function answer(out) {
  if (typeof out !== "string") return out;
  let end = out.indexOf("\n");
  const status = Number(out.slice(0, end));
  const headers = new Headers();
  for (let start = end + 1; ; start = end + 1) {
    end = out.indexOf("\n", start);
    if (end === start || end < 0) break;
    const colon = out.indexOf(":", start);
    headers.append(out.slice(start, colon), out.slice(colon + 1, end));
  }
  const body = out.slice(end + 1);
  return new Response(body === "" ? null : body, { status, headers });
}

class Entrypoint extends WorkerEntrypoint {
  fetch(request) {
    return enter(() => imports.serve(request, request.method, request.url, this.env, this.ctx)).then(answer);
  }

  scheduled(event) {
    return enter(() => imports.scheduled(event, this.env, this.ctx));
  }
}

/** The runtime's class for the wasm-bindgen class `Inner` (a `#[durable_object]` struct). */
function durableObject(Inner) {
  wrapped.add(Inner);
  // Deriving from DurableObject gives the class workerd's JS RPC (`ask`).
  const Outer = class extends DurableObject {
    constructor(ctx, env) {
      super(ctx, env);
      this.generation = generation;
      this.inner = enter(() => new Inner(ctx, env));
    }

    live() {
      if (initState.criticalError) recover();
      if (this.generation !== generation) {
        this.inner = new Inner(this.ctx, this.env);
        this.generation = generation;
      }
      return this.inner;
    }

    fetch(request) {
      const inner = this.live();
      return enter(() => inner.fetch(request));
    }

    alarm() {
      const inner = this.live();
      return enter(() => inner.alarm());
    }

  };
  // A command's text in, the reply's text out (src/objects/rpc.rs `call_object`), only on the
  // objects whose Rust struct exports `ask`: on the others the runtime refuses the call as a
  // method it does not implement, before the object runs, which `call_object` answers by fetch.
  if (typeof Inner.prototype.ask === "function") {
    Outer.prototype.ask = function ask(text) {
      const inner = this.live();
      return enter(() => inner.ask(text));
    };
  }
  return Outer;
}

export const CampaignObject = durableObject(imports.CampaignObject);
export const CatalogObject = durableObject(imports.CatalogObject);
export const DeadLetterObject = durableObject(imports.DeadLetterObject);
export const DirectoryObject = durableObject(imports.DirectoryObject);
export const MemberObject = durableObject(imports.MemberObject);
export const OrderObject = durableObject(imports.OrderObject);
export const ReferralRegistryObject = durableObject(imports.ReferralRegistryObject);
export const StockObject = durableObject(imports.StockObject);
export const StoreObject = durableObject(imports.StoreObject);

for (const [name, value] of Object.entries(imports)) {
  const proto = typeof value === "function" ? value.prototype : undefined;
  if (proto && typeof proto.fetch === "function" && typeof proto.alarm === "function" && !wrapped.has(value)) {
    throw new Error(`shim: the Durable Object class ${name} is not exported (scripts/lib/shim.js)`);
  }
}

export default Entrypoint;
