// The wallet: coupons by status with their terms in words and their expiry, and the points
// ledger page by page ("加载更多"), kinds and sources in Chinese.
"use strict";
(function () {
  const { h, fill, api, explain, say, yuan, dateTime } = PE;
  const STATUSES = [
    ["available", "可使用"],
    ["locked", "已锁定"],
    ["redeemed", "已使用"],
    ["expired", "已过期"],
  ];
  const KINDS = { earn: "获得", spend: "使用", expire: "过期", clawback: "扣回", adjust: "调整" };
  const SOURCES = {
    checkin: "每日签到",
    makeup: "补签",
    order: "购物",
    referral: "邀请好友",
    campaign: "活动",
    refund: "退款",
    expiry: "积分到期",
  };
  const SOON_MS = 3 * 86400000;
  const PAGE = 20;
  let current = "available";
  let cursor = null;
  // A 401 already shows the sign-in notice (app.js); anything else is said in words.
  const refused = (result) => result.status === 401 || say(explain(result.problem), "bad");

  // The coupon's terms as a member reads them.
  function terms(c) {
    const min = c.min_spend_fen > 0 ? `满 ${yuan(c.min_spend_fen)} ` : "";
    if (c.type === "percent") {
      const off = (100 - c.percent) / 10;
      const cap = c.max_discount_fen ? `，最多减 ${yuan(c.max_discount_fen)}` : "";
      return `${min}${off} 折${cap}`;
    }
    return min ? `${min}减 ${yuan(c.value_fen)}` : `立减 ${yuan(c.value_fen)}`;
  }

  function couponCard(c) {
    const expires = Date.parse(c.expires_at);
    const notYet = Date.parse(c.valid_from) > Date.now();
    const soon = c.status === "available" && expires - Date.now() < SOON_MS;
    const label = Object.fromEntries(STATUSES)[c.status];
    return h(
      "li",
      { class: `card coupon${c.status === "available" ? "" : " inactive"}` },
      h("p", { class: "spread" }, h("span", { class: "terms" }, terms(c)), h("span", { class: "tag" }, label)),
      h("p", {}, `有效期 ${dateTime(c.valid_from)} 至 ${dateTime(c.expires_at)}`),
      notYet ? h("p", { class: "info" }, "尚未到可用时间") : null,
      soon ? h("p", { class: "warn" }, h("strong", {}, "即将过期"), `：${dateTime(c.expires_at)} 到期，请尽快使用`) : null,
      c.store_id ? h("p", { class: "info" }, `仅限门店 ${c.store_id} 使用`) : h("p", { class: "muted" }, "全部门店可用"),
      h("p", { class: "muted" }, `来自活动 ${c.campaign_id} · 领取于 ${dateTime(c.claimed_at)}`),
    );
  }

  function renderTabs() {
    fill(
      "#tabs",
      STATUSES.map(([status, words]) =>
        h("button", { type: "button", "aria-pressed": status === current ? "true" : "false", onclick: () => showCoupons(status) }, words),
      ),
    );
  }

  async function showCoupons(status) {
    current = status;
    renderTabs();
    const result = await api("GET", `/v1/coupons?status=${status}`);
    if (!result.ok) return refused(result);
    const coupons = result.data.coupons;
    const words = Object.fromEntries(STATUSES)[status];
    fill(
      "#coupons",
      coupons.length
        ? h("ul", { class: "plain", "aria-label": `${words}的优惠券` }, coupons.map(couponCard))
        : h("p", { class: "muted" }, `没有${words}的优惠券`),
    );
  }

  function entryItem(e) {
    const positive = e.amount > 0;
    return h(
      "li",
      {},
      h(
        "span",
        {},
        `${SOURCES[e.source] || e.source} · ${KINDS[e.kind] || e.kind}`,
        h("br"),
        h("span", { class: "muted" }, dateTime(e.created_at), e.expires_at && positive ? ` · ${dateTime(e.expires_at)} 过期` : ""),
      ),
      h("span", { class: `amount ${positive ? "good" : "bad"}` }, `${positive ? "+" : ""}${e.amount}`),
    );
  }

  async function loadLedger(more) {
    const path = `/v1/points/ledger?limit=${PAGE}${more && cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const result = await api("GET", path);
    if (!result.ok) return refused(result);
    const { entries, next_cursor: next } = result.data;
    cursor = next;
    const list = document.getElementById("ledger");
    if (!more) list.replaceChildren();
    list.append(...entries.map(entryItem));
    if (!list.children.length) list.append(h("li", { class: "muted" }, "还没有积分记录"));
    fill(
      "#ledger-more",
      next
        ? h("button", { type: "button", class: "wide", onclick: () => loadLedger(true) }, "加载更多")
        : h("p", { class: "muted" }, "没有更多了"),
    );
    if (more) say(`已加载 ${entries.length} 条积分记录`);
  }

  async function loadBalance() {
    const result = await api("GET", "/v1/me");
    if (!result.ok) return;
    const points = result.data.points;
    const soon = points.expiring.reduce((sum, lot) => sum + lot.amount, 0);
    fill("#balance-line", "积分余额 ", h("strong", { class: "big", id: "balance" }, String(points.balance)), soon ? h("span", { class: "warn" }, `（${soon} 积分 30 天内过期）`) : null);
  }

  PE.start(() => Promise.all([showCoupons("available"), loadLedger(false), loadBalance()]));
})();
