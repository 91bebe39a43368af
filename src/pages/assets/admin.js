// The marketing console (/admin): campaigns with live stats, a create form checked by the API's
// own problem details (shown next to the field they name), pause/resume/end/extend/top-up with
// If-Match, a printable store poster, referral stats, dead letters with replay, the audit trail.
"use strict";
(function () {
  const { h, $, fill, api, send, explain, say, yuan, dateTime } = PE;
  const STATUS = { scheduled: "未开始", active: "进行中", paused: "已暂停", ended: "已结束" };
  const KINDS = { coupon: "普通领券", flash_sale: "限时抢购", store_poster: "门店海报" };
  const LIST_REFRESH_MS = 10000;
  let open = null; // the campaign in the detail panel: {data, etag}

  const enc = encodeURIComponent;
  // datetime-local values are Beijing time; the API speaks RFC 3339 UTC.
  const fromBeijing = (value) => {
    const when = value ? new Date(`${value}:00+08:00`) : null;
    return when && !Number.isNaN(when.getTime()) ? when.toISOString() : undefined;
  };
  const toBeijing = (iso) => new Date(new Date(iso).getTime() + 8 * 3600e3).toISOString().slice(0, 16);

  function termsInWords(coupon) {
    const from = coupon.min_spend_fen > 0 ? `满 ${yuan(coupon.min_spend_fen)} ` : "无门槛 ";
    if (coupon.type === "percent") return `${from}${(100 - coupon.percent) / 10} 折，最多减 ${yuan(coupon.max_discount_fen)}`;
    if (coupon.type === "threshold") return `满 ${yuan(coupon.min_spend_fen)} 减 ${yuan(coupon.value_fen)}`;
    return `${from}立减 ${yuan(coupon.value_fen)}`;
  }

  // "not_eligible:has_ordered_before" -> words
  const rejectionInWords = (key) => {
    const [code, reason] = key.split(":");
    return explain({ code, reason });
  };

  // --- the list

  function statusTag(status) {
    const tone = status === "active" ? "good" : status === "ended" ? "bad" : "warn";
    return h("span", { class: `tag ${tone}`, text: STATUS[status] || status });
  }

  function row(c) {
    const rejected = Object.entries(c.stats.claims_rejected);
    return h(
      "tr",
      { dataset: { campaign: c.id } },
      h("td", {}, h("strong", { text: c.name }), h("br"), h("code", { text: c.id }), h("span", { class: "muted", text: ` ${KINDS[c.kind] || c.kind}` })),
      h("td", {}, statusTag(c.status)),
      h("td", { class: "muted", text: `${dateTime(c.starts_at)} — ${dateTime(c.ends_at)}` }),
      h("td", { class: "stats", text: `${c.stats.issued} / ${c.stats.remaining} / ${c.stock}` }),
      h("td", { class: "stats" }, rejected.length ? rejected.map(([key, n]) => h("div", { text: `${rejectionInWords(key)}：${n}` })) : "—"),
      h("td", {}, h("button", { type: "button", text: "管理", "aria-label": `管理 ${c.name}`, onclick: () => openCampaign(c.id) })),
    );
  }

  async function loadList() {
    const result = await api("GET", "/v1/admin/campaigns");
    if (!result.ok) {
      if (result.status !== 401) say(explain(result.problem), "bad");
      return;
    }
    const rows = result.data.campaigns.map(row);
    fill("#campaign-rows", rows.length ? rows : h("tr", {}, h("td", { colspan: 6, class: "muted", text: "还没有活动，在下方新建一个。" })));
  }

  // --- one campaign: its state, actions and audit trail

  async function openCampaign(id, { quiet = false } = {}) {
    const result = await api("GET", `/v1/admin/campaigns/${enc(id)}`);
    if (!result.ok) {
      if (result.status !== 401) say(explain(result.problem), "bad");
      return false;
    }
    open = { data: result.data, etag: result.etag };
    drawDetail();
    if (!quiet) $("#detail-title").focus();
    return true;
  }

  function field(id, label, input) {
    return h("div", {}, h("label", { for: id, text: label }), input);
  }

  function drawDetail() {
    const c = open.data;
    const ended = c.set_status === "ended" || c.status === "ended";
    const actions = h("div", { class: "actions" });
    if (!ended && c.set_status === "active") actions.append(h("button", { type: "button", text: "暂停", onclick: () => patch({ status: "paused" }, "已暂停") }));
    if (!ended && c.set_status === "paused") actions.append(h("button", { type: "button", class: "primary", text: "恢复", onclick: () => patch({ status: "active" }, "已恢复") }));
    if (!ended)
      actions.append(
        h("button", {
          type: "button",
          text: "结束活动",
          onclick: (event) => confirmInline(event.target, "结束后不能再恢复，确定结束？", "确认结束", () => patch({ status: "ended" }, "活动已结束")),
        }),
      );
    const extendInput = h("input", { id: "d-ends", type: "datetime-local", value: toBeijing(c.ends_at) });
    const stockInput = h("input", { id: "d-add", type: "number", inputmode: "numeric", min: 1, placeholder: "如 100" });
    const storeInput = h("input", { id: "d-store", autocomplete: "off", placeholder: "如 st-001" });
    fill(
      "#detail",
      h("h2", { id: "detail-title", tabindex: "-1" }, `${c.name} `, statusTag(c.status)),
      h("p", {}, h("code", { text: c.id }), ` · ${KINDS[c.kind] || c.kind} · ${termsInWords(c.coupon)} · 每人限领 ${c.limits.per_member} 张`),
      h("p", { text: `时间：${dateTime(c.starts_at)} — ${dateTime(c.ends_at)}（北京时间）` }),
      h("p", { class: "big stats", text: `已领 ${c.stats.issued} · 剩余 ${c.stats.remaining} · 总量 ${c.stock}` }),
      actions,
      h("div", { class: "grid two" },
        h("div", {}, field("d-ends", "新的结束时间（北京时间）", extendInput), h("button", { type: "button", text: "延长", onclick: () => patch({ ends_at: fromBeijing(extendInput.value) }, "结束时间已更新") })),
        h("div", {}, field("d-add", "补充库存（张）", stockInput), h("button", { type: "button", text: "补充库存", onclick: () => patch({ add_stock: Number(stockInput.value) }, "库存已补充") })),
        h("div", {}, field("d-store", "门店编号（打印门店海报）", storeInput), h("button", { type: "button", text: "生成海报", onclick: () => poster(c, storeInput.value.trim()) })),
      ),
      h("h3", { text: "操作记录" }),
      h("ol", { class: "audit" }, c.audit.map(auditLine)),
    );
    $("#detail").hidden = false;
  }

  function auditLine(entry) {
    const changed = entry.before
      ? Object.keys(entry.after).filter((key) => key !== "revision" && JSON.stringify(entry.before[key]) !== JSON.stringify(entry.after[key]))
      : [];
    const what = entry.action === "create" ? "创建活动" : `修改 ${changed.map((k) => `${k}: ${JSON.stringify(entry.before[k])} → ${JSON.stringify(entry.after[k])}`).join("，") || "（无变化）"}`;
    return h("li", {}, h("span", { class: "muted", text: `${dateTime(entry.at)} ${entry.actor}：` }), what);
  }

  // PATCH with If-Match: when the campaign changed since it was read, the panel is reloaded and
  // the operator told, so nothing is applied on a state they have not seen.
  // One change at a time: a double click sends one PATCH, not a second one that would meet its
  // own first as "changed by someone else".
  let patching = false;
  async function patch(body, done) {
    if (patching) return;
    patching = true;
    const c = open.data;
    const result = await send("PATCH", `/v1/admin/campaigns/${enc(c.id)}`, { body, ifMatch: open.etag }).finally(() => {
      patching = false;
    });
    if (result.ok) {
      open = { data: result.data, etag: result.etag };
      drawDetail();
      say(`${c.name}：${done}`, "good");
    } else if (result.status === 412) {
      await openCampaign(c.id, { quiet: true });
      say(`${c.name}：刚被其他人修改过，未执行本次操作。已为您刷新为最新状态（${STATUS[open.data.status]}），请确认后再操作。`, "warn");
    } else if (result.status !== 401) {
      say(`${c.name}：${explain(result.problem)}${result.problem.detail ? `（${result.problem.detail}）` : ""}`, "bad");
    }
    loadList();
  }

  // An in-page confirmation next to the button (no blocking dialog).
  function confirmInline(button, question, yes, action) {
    const box = h("p", { class: "actions", role: "group", "aria-label": question });
    const close = () => {
      box.remove();
      button.hidden = false;
      button.focus();
    };
    box.append(
      h("span", { class: "warn", text: question }),
      h("button", { type: "button", class: "primary", text: yes, onclick: () => (box.remove(), action()) }),
      h("button", { type: "button", text: "取消", onclick: close }),
    );
    button.hidden = true;
    button.after(box);
    box.querySelector("button").focus();
  }

  // --- the store poster: a signed link drawn as a QR, ready to print

  async function poster(c, store) {
    const result = await api("GET", `/v1/admin/campaigns/${enc(c.id)}/posters/${enc(store)}`);
    if (!result.ok) {
      if (result.status !== 401) say(store ? explain(result.problem) : "请填写门店编号", "bad");
      return;
    }
    const { url, svg } = result.data;
    fill(
      "#poster",
      h("h2", { id: "poster-title", text: `${c.name} · 门店 ${store}` }),
      h("p", { class: "big", text: termsInWords(c.coupon) }),
      h("img", { class: "qr", src: `data:image/svg+xml;charset=utf-8,${enc(svg)}`, alt: `扫码领券二维码（门店 ${store}）` }),
      h("p", { text: "微信或药房 App 扫码领券" }),
      h("p", { class: "muted" }, h("code", { text: url })),
      h("p", { class: "no-print" }, h("button", { type: "button", class: "primary", text: "打印海报", onclick: () => window.print() })),
    );
    $("#poster").hidden = false;
    say(`门店 ${store} 的海报已生成`, "good");
  }

  // --- the create form: the API decides; its problem detail names the field

  const FIELDS = {
    id: "f-id", name: "f-name", kind: "f-kind", starts_at: "f-starts", ends_at: "f-ends", stock: "f-stock",
    coupon: "f-type", "coupon.type": "f-type", "coupon.value_fen": "f-value", "coupon.percent": "f-percent",
    "coupon.min_spend_fen": "f-min", "coupon.max_discount_fen": "f-max", "coupon.valid_days": "f-days",
    limits: "f-per-member", "limits.per_member": "f-per-member", "limits.per_member_per_day": "f-per-day",
    "audience.new_members_within_days": "f-new-days", "audience.tiers": "f-tiers", rules_text: "f-rules",
  };
  const MESSAGES = [
    [/must be after starts_at/, "须晚于开始时间"],
    [/at most 366 days/, "活动最长 366 天"],
    [/^from (\d+) to (\S+)/, "应在 $1 到 $2 之间"],
    [/missing field/, "必填"],
    [/characters/, "长度不符合要求"],
    [/must be more than value_fen/, "须大于减免金额"],
    [/invalid type|invalid value|unknown variant|invalid digit|premature end|input contains invalid/, "格式不正确"],
  ];

  // "coupon.value_fen: from 1 to 1000000" -> { key: "coupon.value_fen", words: "应在 1 到 1000000 之间" }
  function fieldOf(problem) {
    const match = /^([A-Za-z_][\w.[\]]*): (.*)$/s.exec(problem.detail || "");
    if (problem.code === "campaign_exists") return { key: "id", words: explain(problem) };
    if (!match) return null;
    let [, key, rest] = match;
    const missing = /missing field `(\w+)`/.exec(rest);
    if (missing) key = key === "body" || key === "." ? missing[1] : `${key}.${missing[1]}`;
    key = key.replace(/^\./, "");
    const known = MESSAGES.find(([pattern]) => pattern.test(rest));
    return { key, words: known ? rest.match(known[0])[0].replace(known[0], known[1]) : rest };
  }

  function clearErrors() {
    for (const node of document.querySelectorAll("#create-form [aria-invalid]")) {
      node.removeAttribute("aria-invalid");
      node.removeAttribute("aria-describedby");
    }
    for (const node of document.querySelectorAll("#create-form .field-error[data-field]")) node.remove();
    $("#create-error").hidden = true;
  }

  function showFieldError(problem) {
    const found = fieldOf(problem);
    const input = found && document.getElementById(FIELDS[found.key] || FIELDS[found.key.split(".")[0]] || "");
    if (!input) {
      fill("#create-error", `${explain(problem)}${problem.detail ? `（${problem.detail}）` : ""}`).hidden = false;
      return;
    }
    const label = input.tagName === "FIELDSET" ? input.querySelector("legend").textContent : document.querySelector(`label[for="${input.id}"]`).textContent;
    const error = h("p", { class: "field-error", id: `${input.id}-error`, dataset: { field: found.key } }, `${label}：${found.words}`, problem.detail && problem.code !== "campaign_exists" ? h("span", { class: "muted", text: `（${problem.detail}）` }) : null);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", error.id);
    (input.tagName === "FIELDSET" ? input.lastElementChild : input).after(error);
    input.focus();
  }

  const value = (id) => document.getElementById(id).value.trim();
  const number = (id) => (value(id) === "" ? undefined : Number(value(id)));
  const fen = (id) => (value(id) === "" ? undefined : Math.round(Number(value(id)) * 100));

  function formBody() {
    const type = value("f-type");
    const coupon = { type, valid_days: number("f-days") };
    if (type !== "percent") coupon.value_fen = fen("f-value");
    if (type !== "fixed") coupon.min_spend_fen = fen("f-min") ?? (type === "percent" ? 0 : undefined);
    if (type === "percent") Object.assign(coupon, { percent: number("f-percent"), max_discount_fen: fen("f-max") });
    const tiers = [...document.querySelectorAll('#f-tiers input[name="tier"]:checked')].map((box) => box.value);
    const audience = {};
    if (number("f-new-days") !== undefined) audience.new_members_within_days = number("f-new-days");
    if ($("#f-first-order").checked) audience.first_order_only = true;
    if (tiers.length) audience.tiers = tiers;
    const limits = { per_member: number("f-per-member") };
    if (number("f-per-day") !== undefined) limits.per_member_per_day = number("f-per-day");
    return {
      id: value("f-id"), name: value("f-name"), kind: value("f-kind"),
      starts_at: fromBeijing(value("f-starts")), ends_at: fromBeijing(value("f-ends")),
      stock: number("f-stock"), coupon, limits, audience, rules_text: value("f-rules"),
    };
  }

  // The same form sent again (a retry after a lost answer) reuses its Idempotency-Key.
  let lastCreate = { text: "", key: "" };
  async function create(event) {
    event.preventDefault();
    clearErrors();
    const body = formBody();
    const text = JSON.stringify(body);
    if (text !== lastCreate.text) lastCreate = { text, key: crypto.randomUUID() };
    say("正在创建…");
    const result = await send("POST", "/v1/admin/campaigns", { body, idem: lastCreate.key });
    if (result.ok) {
      say(`活动「${result.data.name}」已创建（${STATUS[result.data.status] || result.data.status}）`, "good");
      await loadList();
      await openCampaign(result.data.id, { quiet: true });
    } else if (result.status !== 401) {
      say(`未能创建：${explain(result.problem)}`, "bad");
      showFieldError(result.problem);
    }
  }

  function showCouponFields() {
    const type = value("f-type");
    for (const box of document.querySelectorAll("#create-form [data-for]")) box.hidden = !box.dataset.for.split(" ").includes(type);
  }

  // --- referral stats and dead letters

  const pairs = (object) => Object.entries(object || {}).map(([key, n]) => `${key}：${n}`).join("，") || "无";

  async function loadReferrals() {
    const result = await api("GET", "/v1/admin/referrals/stats");
    if (!result.ok) return;
    const s = result.data;
    fill(
      "#referral-stats",
      h("p", { class: "big stats", text: `已绑定好友 ${s.bound}` }),
      h("p", { text: `拒绝绑定：${pairs(s.refused)}` }),
      h("p", { text: `已发奖励：${pairs(s.rewards)}` }),
      h("p", { text: `已追回：${pairs(s.clawbacks)}` }),
    );
  }

  async function loadDead() {
    const result = await api("GET", "/v1/admin/outbox/dead");
    if (!result.ok) return;
    const { deliveries, replays } = result.data;
    const table = h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, ["编号", "类型", "尝试次数", "最后错误", "首次尝试", "操作"].map((text) => h("th", { scope: "col", text })))),
        h(
          "tbody",
          {},
          deliveries.map((d) =>
            h(
              "tr",
              { dataset: { delivery: d.id } },
              h("td", {}, h("code", { text: d.id })),
              h("td", { text: d.kind }),
              h("td", { class: "stats", text: d.attempts }),
              h("td", { text: d.last_error }),
              h("td", { text: dateTime(d.first_attempt_at) }),
              h("td", {}, h("button", { type: "button", text: "重放", onclick: (event) => confirmInline(event.target, `重新投递 ${d.id}？`, "确认重放", () => replay(d.id)) })),
            ),
          ),
        ),
      ),
    );
    fill(
      "#dead-list",
      deliveries.length ? table : h("p", { class: "muted", text: "没有投递失败的消息。" }),
      replays.length ? h("h3", { text: "最近的重放" }) : null,
      replays.length ? h("ul", {}, replays.slice(0, 10).map((r) => h("li", { text: `${dateTime(r.at)} ${r.actor} 重放了 ${r.id}（${r.kind}）` }))) : null,
    );
  }

  async function replay(id) {
    const result = await send("POST", `/v1/admin/outbox/dead/${enc(id)}/replay`);
    if (result.ok) say(`${id} 已重新排队投递`, "good");
    else if (result.status !== 401) say(`${id}：${explain(result.problem)}`, "bad");
    await loadDead();
  }

  function defaults() {
    const now = Date.now();
    $("#f-starts").value = toBeijing(new Date(now + 3600e3).toISOString()).slice(0, 14) + "00";
    $("#f-ends").value = toBeijing(new Date(now + 8 * 86400e3).toISOString()).slice(0, 14) + "00";
    showCouponFields();
  }

  PE.start(async () => {
    $("#create-form").addEventListener("submit", create);
    $("#f-type").addEventListener("change", showCouponFields);
    $("#reload").addEventListener("click", loadList);
    $("#dead-reload").addEventListener("click", loadDead);
    defaults();
    await Promise.all([loadList(), loadReferrals(), loadDead()]);
    setInterval(() => {
      if (!document.hidden) loadList();
    }, LIST_REFRESH_MS);
  });
})();
