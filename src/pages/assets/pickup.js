// The member's pickup page: the rotating QR (drawn from qr.svg, fetched with the token and
// shown through an object URL) and the 6-digit code, renewed a little before they expire and
// whenever the page comes back into view, with a countdown; the order polled so the page turns
// to 已取货 once the counter verifies it.
"use strict";
PE.start(() => {
  const { h, $, fill, api, explain, dateTime } = PE;
  const orderId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
  const path = encodeURIComponent(orderId);
  const ORDER_POLL_MS = 4000; // while the code is shown: notice the counter's verification
  const NOT_READY_POLL_MS = 30000; // before the order is ready: slowly
  const EARLY_S = 3; // renew this many seconds before the code would need it

  let phase = "loading"; // loading | waiting | showing | done
  let codeTimer = 0;
  let orderTimer = 0;
  let tickTimer = 0;
  let renewAt = 0; // performance.now() when the code is renewed
  let validUntil = 0; // performance.now() when the code shown stops being accepted
  let objectUrl = null;
  let renewFailed = false; // the status line says the last renewal failed

  fill("#order-ref", orderId);
  const img = $("#qr");

  function stopAll() {
    clearTimeout(codeTimer);
    clearTimeout(orderTimer);
    clearInterval(tickTimer);
    codeTimer = orderTimer = tickTimer = 0;
  }

  function hideCode() {
    $("#code-card").hidden = true;
    img.removeAttribute("src");
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = null;
  }

  function finish(text, tone) {
    phase = "done";
    stopAll();
    hideCode();
    PE.say(text, tone);
  }

  function fact(term, value) {
    return value ? [h("dt", { text: term }), h("dd", { text: value })] : [];
  }

  function showOrder(order) {
    const pickup = order.pickup || {};
    fill(
      "#facts",
      fact("取货门店", order.store_id),
      fact("备好时间", dateTime(pickup.ready_at)),
      fact("取货期限", pickup.pickup_deadline ? `${dateTime(pickup.pickup_deadline)} 前` : ""),
      fact("取货时间", dateTime(pickup.verified_at)),
    );
    fill(
      "#lines",
      (order.lines || []).map((line) =>
        h("li", {}, `${line.name || line.sku} × ${line.qty}`, line.drug_class === "rx" ? h("span", { class: "tag rx", text: "处方药" }) : null),
      ),
    );
    $("#details").hidden = false;
  }

  // The order decides the phase; while the code shows it is polled for the verification.
  async function loadOrder() {
    clearTimeout(orderTimer);
    const result = await api("GET", `/v1/orders/${path}`);
    if (phase === "done") return;
    if (!result.ok) {
      if (result.status === 404) return finish("没有找到这个订单，请确认链接是否正确", "bad");
      orderTimer = setTimeout(loadOrder, ORDER_POLL_MS);
      if (phase !== "showing") PE.say(explain(result.problem), "bad");
      return;
    }
    const order = result.data;
    showOrder(order);
    switch (order.status) {
      case "picked_up":
        return finish(`已取货${order.pickup?.verified_at ? `（${dateTime(order.pickup.verified_at)}）` : ""}，感谢您的光临`, "good");
      case "cancelled":
        return finish("订单已取消", "bad");
      case "rejected":
        return finish("订单未能受理", "bad");
      case "ready_for_pickup":
        if (phase !== "showing") await renewCode();
        if (phase === "showing") orderTimer = setTimeout(loadOrder, ORDER_POLL_MS);
        return;
      default:
        return notReady();
    }
  }

  function notReady() {
    phase = "waiting";
    clearTimeout(codeTimer);
    hideCode();
    PE.say("订单正在备货，备好后此页会自动显示取货码", "info");
    clearTimeout(orderTimer);
    orderTimer = setTimeout(loadOrder, NOT_READY_POLL_MS);
  }

  // Fetches the code and its picture together; on a hiccup the old code stays up and is retried.
  async function renewCode() {
    clearTimeout(codeTimer);
    const [code, picture] = await Promise.all([api("GET", `/v1/pickups/${path}/code`), api("GET", `/v1/pickups/${path}/qr.svg`)]);
    if (phase === "done") return;
    const refusal = !code.ok ? code : !picture.ok ? picture : null;
    if (refusal) {
      switch (refusal.problem.code) {
        case "already_picked_up":
          return loadOrder();
        case "pickup_expired":
          return finish("已超过取货期限，订单不能再取货，如有疑问请联系门店", "bad");
        case "not_ready":
          return notReady();
        case "order_not_found":
          return finish("没有找到这个订单，请确认链接是否正确", "bad");
        default:
          renewFailed = true;
          PE.say(`取货码未能更新：${explain(refusal.problem)}`, "bad");
          codeTimer = setTimeout(renewCode, 5000);
          return;
      }
    }
    const now = performance.now();
    const { short_code, valid_for_s, refresh_in_s } = code.data;
    validUntil = now + valid_for_s * 1000;
    renewAt = now + Math.max(1, Math.min(refresh_in_s, valid_for_s - EARLY_S)) * 1000;
    const previous = objectUrl;
    objectUrl = URL.createObjectURL(picture.data);
    img.addEventListener("load", () => previous && URL.revokeObjectURL(previous), { once: true });
    img.src = objectUrl;
    fill("#short-code", short_code);
    $("#code-card").dataset.validUntil = String(Math.round(Date.now() + valid_for_s * 1000));
    $("#code-card").hidden = false;
    if (phase !== "showing" || renewFailed) PE.say("订单已备好，请到店出示取货码", "good");
    renewFailed = false;
    img.hidden = false;
    phase = "showing";
    codeTimer = setTimeout(renewCode, renewAt - now);
    clearInterval(tickTimer);
    tickTimer = setInterval(tick, 1000);
    tick();
  }

  function tick() {
    const now = performance.now();
    const renewIn = Math.max(0, Math.ceil((renewAt - now) / 1000));
    const validFor = Math.max(0, Math.ceil((validUntil - now) / 1000));
    fill("#countdown", validFor > 0 ? `${renewIn} 秒后自动更新（当前码还可用 ${validFor} 秒）` : "取货码已过期，正在更新…");
    if (validFor <= 0) {
      // Offline past its validity: an expired code must not be shown for typing (a wrong code
      // costs the order one of its tries at the counter).
      img.hidden = true;
      fill("#short-code", "------");
    }
  }

  // Timers sleep in a background tab: coming back renews at once.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden || phase === "done") return;
    if (phase === "showing") renewCode().then(loadOrder);
    else loadOrder();
  });

  // An expired token: stop polling and say how to sign in again, once.
  PE.onSignedOut((problem) => {
    phase = "done";
    stopAll();
    PE.showSignIn(PE.signInWords(problem));
  });

  // Ready once the first state (the code, or why there is none) is drawn.
  return loadOrder();
});
