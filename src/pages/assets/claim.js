// The claim page (/m/campaigns/{id}): the published rules in words, the window and status, the
// live remaining stock, and the claim button. One tap is one Idempotency-Key (PE.send retries
// with the same key); the button is disabled while a claim is in flight, so a double tap sends
// one request, and the API gives one coupon even if two were sent.
"use strict";
(function () {
  const { h, $, fill, api, send, explain, say, yuan, dateTime } = PE;
  const id = (() => {
    try {
      return decodeURIComponent(location.pathname.split("/")[3] || "");
    } catch {
      return location.pathname.split("/")[3] || ""; // a malformed %-escape: the API says not found
    }
  })();
  const query = new URLSearchParams(location.search);
  const poster = query.get("store") && query.get("sig") ? { store_id: query.get("store"), poster_sig: query.get("sig") } : null;
  // The attribution the page landed with (the link's utm_* and store), sent with the claim; only
  // well-formed values (the API refuses others), never anything from the token.
  const attribution = (() => {
    const found = {};
    for (const key of ["utm_source", "utm_medium", "utm_campaign"]) {
      const value = query.get(key);
      if (value && /^[A-Za-z0-9_.-]{1,64}$/.test(value)) found[key] = value;
    }
    const store = query.get("store");
    if (store && /^[A-Za-z0-9_-]{1,64}$/.test(store)) found.store_id = store;
    return Object.keys(found).length ? found : null;
  })();
  const REFRESH_MS = 4000;
  const TIERS = { member: "普通会员", bronze: "铜卡会员", silver: "银卡会员", gold: "金卡会员" };
  const STATUS = { scheduled: "未开始", active: "进行中", paused: "已暂停", ended: "已结束" };
  let campaign = null;
  let claiming = false;
  let taken = 0; // coupons claimed on this page
  let claimed = false; // the member holds as many as one may
  let shownReason = false; // the status line says why the button is off
  let networkSaid = false; // the status line says the network failed (cleared when it works again)
  // The Idempotency-Key of a tap whose answer never arrived: a retry of that tap (the button, or the
  // network coming back) reuses it, so one tap can never become two coupons.
  let pendingKey = null;
  let final = null; // a refusal that no retry changes (sold out, limit reached, not eligible, ended)
  const FINAL = ["sold_out", "claim_limit_reached", "campaign_ended", "not_eligible", "invalid_poster_signature", "campaign_not_found"];
  let timer = null;

  // 满 X 减 Y, N 折 最多减 Z, or 立减 Y: the coupon as a member reads it.
  function termsInWords(coupon) {
    const from = coupon.min_spend_fen > 0 ? `满 ${yuan(coupon.min_spend_fen)} ` : "无门槛 ";
    if (coupon.type === "percent") {
      const zhe = (100 - coupon.percent) / 10;
      return `${from}${zhe} 折，最多减 ${yuan(coupon.max_discount_fen)}`;
    }
    if (coupon.type === "threshold") return `满 ${yuan(coupon.min_spend_fen)} 减 ${yuan(coupon.value_fen)}`;
    return `${from}立减 ${yuan(coupon.value_fen)}`;
  }

  function validityInWords(coupon) {
    if (coupon.valid_days) return `领取后 ${coupon.valid_days} 天内有效（含领取当天），处方药不参与优惠`;
    if (coupon.valid_until) return `有效期至 ${dateTime(coupon.valid_until)}，处方药不参与优惠`;
    return "处方药不参与优惠";
  }

  function limitsInWords(c) {
    const items = [`每人限领 ${c.limits.per_member} 张`];
    if (c.limits.per_member_per_day) items.push(`每人每天限领 ${c.limits.per_member_per_day} 张`);
    const audience = c.audience || {};
    if (audience.new_members_within_days) items.push(`仅限注册 ${audience.new_members_within_days} 天内的新会员`);
    if (audience.first_order_only) items.push("仅限尚未下过单的会员（首单专享）");
    if (audience.tiers) items.push(`仅限${audience.tiers.map((t) => TIERS[t] || t).join("、")}`);
    if (!audience.new_members_within_days && !audience.first_order_only && !audience.tiers) items.push("全体会员可领");
    if (c.kind === "store_poster") items.push("门店海报活动：须扫描门店海报上的二维码领取");
    if (c.kind === "flash_sale") items.push("限时抢购，先到先得");
    return items;
  }

  // Why the button cannot be tapped now, in words (null when it can).
  function blocked(c) {
    if (c.status === "ended") return "活动已结束";
    if (c.status === "paused") return "活动已暂停，请稍后再来";
    if (c.status === "scheduled") return `活动尚未开始，${dateTime(c.starts_at)} 开抢`;
    if (c.stock.remaining <= 0) return "已抢光了";
    if (c.kind === "store_poster" && !poster) return "请扫描门店海报上的二维码领取";
    return null;
  }

  function drawStock(c) {
    const { total, remaining } = c.stock;
    const left = Math.max(0, remaining);
    fill(
      "#stock",
      h("p", { class: "spread" }, h("span", { text: "剩余" }), h("span", { class: "big", id: "remaining", text: `${left} / ${total} 张` })),
      h("progress", { max: total, value: left, "aria-label": `剩余 ${left} 张，共 ${total} 张` }),
    );
  }

  function draw(c) {
    campaign = c;
    document.title = `${c.name} · 领券`;
    $("#title").textContent = c.name;
    $("#terms").textContent = termsInWords(c.coupon);
    $("#validity").textContent = validityInWords(c.coupon);
    fill(
      "#window",
      h("span", { class: `tag ${c.status === "active" ? "good" : "warn"}`, text: STATUS[c.status] || c.status }),
      ` 活动时间 ${dateTime(c.starts_at)} — ${dateTime(c.ends_at)}`,
    );
    drawStock(c);
    fill("#limits", limitsInWords(c).map((text) => h("li", { text })));
    $("#rules-text").textContent = c.rules_text;
    $("#offer").hidden = false;
    $("#rules").hidden = false;
    const button = $("#claim");
    const reason = blocked(c);
    if (!claiming && !pendingKey) {
      button.disabled = Boolean(reason) || claimed || Boolean(final);
      button.textContent = claimed ? "已领取" : final ? final : reason ? reason.split("，")[0] : "立即领取";
      if (reason && !claimed) say(reason, c.stock.remaining <= 0 || c.status === "ended" ? "bad" : "warn");
      else if (!reason && shownReason) say("");
      shownReason = Boolean(reason) && !claimed;
    }
  }

  // `quiet`: a background refresh that fails leaves the status line (e.g. 领取成功) alone.
  async function load({ quiet = false } = {}) {
    const result = await api("GET", `/v1/campaigns/${encodeURIComponent(id)}`);
    if (!result.ok) {
      if (result.status !== 401 && !quiet) {
        say(explain(result.problem), "bad");
        networkSaid = result.status === 0;
      }
      return false;
    }
    if (networkSaid && !pendingKey) {
      say("");
      networkSaid = false;
    }
    draw(result.data);
    return true;
  }

  async function claim() {
    if (claiming || claimed || final) return;
    claiming = true;
    const button = $("#claim");
    button.disabled = true;
    button.textContent = "领取中…";
    say(pendingKey ? "正在确认刚才的领取…" : "正在领取…");
    pendingKey ||= crypto.randomUUID();
    const result = await send("POST", `/v1/campaigns/${encodeURIComponent(id)}/claims`, { body: { ...(poster || {}), ...(attribution ? { attribution } : {}) }, idem: pendingKey });
    claiming = false;
    const unanswered = result.status === 0 || result.status >= 500;
    if (!unanswered) pendingKey = null;
    if (unanswered) {
      say("网络不稳定，还不知道是否领到。网络恢复后会自动确认；也可点「确认领取结果」，不会重复领取。", "warn");
      networkSaid = true;
      button.disabled = false;
      button.textContent = "确认领取结果";
      return;
    } else if (result.ok) {
      taken += 1;
      claimed = taken >= campaign.limits.per_member;
      const coupon = result.data.coupon;
      say(`领取成功！${termsInWords(coupon)}，${dateTime(coupon.expires_at)} 前有效`, "good");
      $("#done").hidden = false;
    } else if (result.status !== 401) {
      say(explain(result.problem), "bad");
      if (result.problem.code === "claim_limit_reached") claimed = true;
      else if (FINAL.includes(result.problem.code)) final = explain({ code: result.problem.code });
    }
    networkSaid = false;
    const status = $("#status");
    const words = status.textContent;
    const tone = status.className;
    await load();
    // The answer to the tap stays on screen over the refreshed state.
    status.className = tone;
    status.textContent = words;
    shownReason = false;
    if (!claimed && !final && campaign && !blocked(campaign)) {
      button.disabled = false;
      button.textContent = result.ok ? "再领一张" : "再试一次";
    }
  }

  // What the member already holds of this campaign (another tab, an earlier visit): a member at
  // the limit sees 已领取, not an invitation to tap into a refusal.
  async function countHeld() {
    const result = await api("GET", "/v1/coupons");
    if (result.ok) taken = result.data.coupons.filter((coupon) => coupon.campaign_id === id).length;
  }

  function showStore() {
    if (!poster) return;
    fill(
      "#store",
      h("p", { class: "big", text: `门店专属：${poster.store_id}` }),
      h("p", { class: "muted", text: "您通过门店海报进入，领到的券会记在这家门店名下。" }),
    );
    $("#store").hidden = false;
  }

  // Live stock while the page is open and in view; nothing while hidden or once over.
  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      if (!document.hidden && !claiming) await load({ quiet: true }).catch(() => {});
      if (!campaign || campaign.status !== "ended") refresh();
    }, REFRESH_MS);
  }

  PE.start(async () => {
    $("#claim").addEventListener("click", claim);
    showStore();
    const [loaded] = await Promise.all([load(), countHeld()]);
    if (!loaded) return;
    claimed = taken >= campaign.limits.per_member;
    draw(campaign);
    refresh();
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) load({ quiet: true }).catch(() => {});
    });
    // Back online: settle an unanswered tap with its own key, then refresh.
    window.addEventListener("online", () => {
      if (pendingKey && !claiming) claim();
      else load().catch(() => {});
    });
  });
})();
