// The check-in page: today's 签到 with what it gives, this month's calendar, the streak
// bonuses ahead, make-up (补签) of a missed day, the balance and the points expiring soon.
// Every rule shown comes from the API (GET /v1/checkins): the page computes no award itself.
"use strict";
(function () {
  const { h, fill, api, send, explain, say, date } = PE;
  const WEEK = ["一", "二", "三", "四", "五", "六", "日"];
  let month = null;
  let me = null;
  let busy = false;

  // Business dates are "YYYY-MM-DD" strings; arithmetic on them in UTC, never the phone's zone.
  const ms = (day) => Date.parse(`${day}T00:00:00Z`);
  const daysBetween = (from, to) => Math.round((ms(to) - ms(from)) / 86400000);
  const dayWords = (day) => `${Number(day.slice(5, 7))}月${Number(day.slice(8, 10))}日`;
  const nextDay = (day) => new Date(ms(day) + 86400000).toISOString().slice(0, 10);

  async function load() {
    const [m, summary] = await Promise.all([api("GET", "/v1/checkins"), api("GET", "/v1/me")]);
    const failed = [m, summary].find((r) => !r.ok);
    if (failed) {
      if (failed.status !== 401) say(explain(failed.problem), "bad");
      return false;
    }
    month = m.data;
    me = summary.data;
    render();
    return true;
  }

  function render() {
    renderToday();
    renderCalendar();
    renderAhead();
    renderMakeup();
    renderPoints();
  }

  function renderToday() {
    const next = month.next_checkin;
    if (!next) {
      fill(
        "#today",
        h("p", { class: "big good" }, `今天已签到，已连续签到 ${month.streak} 天`),
        h("button", { type: "button", class: "wide", disabled: true }, "今日已签到"),
        h("p", { class: "muted" }, "明天再来，连签有额外奖励。"),
      );
      return;
    }
    const gain = `今天签到可得 ${next.points} 积分${next.bonus_points ? `，连签奖励额外 +${next.bonus_points}` : ""}`;
    fill(
      "#today",
      h("p", { class: "big", id: "today-gain" }, gain),
      h("p", { id: "today-streak" }, `签到后连续签到 ${next.streak} 天`),
      h("button", {
        type: "button",
        class: "primary wide",
        id: "checkin-button",
        "aria-describedby": "today-gain today-streak",
        onclick: checkIn,
      }, "签到"),
    );
  }

  async function checkIn(event) {
    if (busy) return;
    busy = true;
    const button = event.currentTarget;
    button.disabled = true;
    say("正在签到…");
    const result = await send("POST", "/v1/checkins", { body: {} });
    busy = false;
    if (!result.ok) {
      button.disabled = false;
      return say(explain(result.problem), "bad");
    }
    const r = result.data;
    await load();
    // A retry that finds today done found this tap's own check-in (its answer was lost).
    if (r.already_checked_in && !result.retried) return say(`今天已经签过到了，已连续签到 ${r.streak} 天，积分余额 ${r.balance}`, "info");
    const bonus = r.bonus_points ? `，连签奖励 +${r.bonus_points}` : "";
    say(`签到成功！已连续签到 ${r.streak} 天，获得 ${r.points_awarded} 积分${bonus}，积分余额 ${r.balance}`, "good");
  }

  function renderCalendar() {
    const [year, mon] = month.month.split("-").map(Number);
    const first = `${month.month}-01`;
    const length = new Date(Date.UTC(year, mon, 0)).getUTCDate();
    const lead = (new Date(ms(first)).getUTCDay() + 6) % 7; // Monday first
    const done = new Set(month.days);
    const madeUp = new Set(month.makeup_days || []);
    const makeable = new Set(month.makeup_dates || []);
    const cells = WEEK.map((d) => h("div", { class: "dow", "aria-hidden": "true" }, d));
    for (let i = 0; i < lead; i++) cells.push(h("div", { "aria-hidden": "true" }));
    for (let n = 1; n <= length; n++) {
      const day = `${month.month}-${String(n).padStart(2, "0")}`;
      const isToday = day === month.today;
      let state = "";
      let words = "";
      if (madeUp.has(day)) [state, words] = ["made-up", "已补签"];
      else if (done.has(day)) [state, words] = ["done", "已签到"];
      else if (day < month.today) [state, words] = ["missed", "未签到"];
      const hidden = `${isToday ? "（今天）" : ""}${words ? `，${words}` : ""}`;
      const classes = ["day", state, isToday ? "today" : ""].filter(Boolean).join(" ");
      if (makeable.has(day)) {
        cells.push(
          h("button", {
            type: "button",
            class: `${classes} makeable`,
            "aria-label": `补签 ${dayWords(day)}（${month.rules.makeup_cost_points} 积分）`,
            dataset: { date: day },
            onclick: () => askMakeup(day),
          }, String(n)),
        );
      } else {
        cells.push(h("div", { class: classes, "aria-current": isToday ? "date" : null }, `${n}`, h("span", { class: "visually-hidden" }, `日${hidden}`)));
      }
    }
    fill(
      "#calendar",
      h("p", { class: "muted" }, `${year}年${mon}月 · 已签到 ${month.days.length} 天 · 当前连续 ${month.streak} 天`),
      h("div", { class: "calendar" }, cells),
    );
  }

  function renderAhead() {
    const start = month.next_checkin ? month.today : nextDay(month.today);
    const items = month.bonuses_ahead.map((b) => {
      const count = daysBetween(start, b.date) + 1;
      const when = b.date === month.today ? "今天签到" : `再签 ${count} 天`;
      return h("li", {}, `${when}，第 ${b.streak} 天额外 `, h("strong", {}, `+${b.bonus_points}`), ` 积分（${dayWords(b.date)}）`);
    });
    if (!items.length) items.push(h("li", { class: "muted" }, "暂无连签奖励"));
    items.push(h("li", { class: "muted" }, `每天签到 ${month.rules.base_points} 积分，连签 ${month.rules.cycle_days} 天为一轮，断签从第 1 天重新计算。`));
    fill("#ahead", items);
  }

  function renderMakeup(confirming) {
    const rules = month.rules;
    const intro = h(
      "p",
      {},
      `补签一天需 ${rules.makeup_cost_points} 积分，本月还可补签 `,
      h("strong", {}, String(month.makeups_left)),
      ` 次（每月 ${rules.makeups_per_month} 次，仅限本月已过去的日期）。`,
    );
    const offered = month.makeup_dates || [];
    const parts = [intro];
    if (confirming) {
      const balance = me.points.balance;
      const enough = balance >= rules.makeup_cost_points;
      parts.push(
        h(
          "div",
          { class: "confirm", role: "group", "aria-labelledby": "confirm-text" },
          h("p", { id: "confirm-text", class: "big" }, `补签 ${dayWords(confirming)}，花费 ${rules.makeup_cost_points} 积分？`),
          h("p", { class: enough ? "muted" : "bad" }, `当前积分 ${balance}${enough ? `，补签后剩 ${balance - rules.makeup_cost_points}` : "，积分不足"}`),
          h(
            "div",
            { class: "row" },
            h("button", { type: "button", class: "primary", id: "confirm-makeup", disabled: !enough, onclick: () => makeup(confirming) }, "确认补签"),
            h("button", { type: "button", onclick: () => renderMakeup() }, "取消"),
          ),
        ),
      );
    } else if (offered.length) {
      // The most recent missed days (the ones that repair a streak); every one is in the calendar.
      const recent = offered.slice(-3).reverse();
      parts.push(h("p", { class: "muted" }, `可补签 ${offered.length} 天，点日历中的日期或选择：`));
      parts.push(h("div", { class: "row" }, recent.map((day) => h("button", { type: "button", onclick: () => askMakeup(day) }, `补签 ${dayWords(day)}`))));
    } else {
      parts.push(h("p", { class: "muted" }, month.makeups_left ? "本月没有可补签的日期。" : "本月补签次数已用完。"));
    }
    fill("#makeup", parts);
    if (confirming) document.getElementById("confirm-makeup").focus();
  }

  function askMakeup(day) {
    renderMakeup(day);
    document.getElementById("makeup-title").scrollIntoView({ block: "start" });
  }

  async function makeup(day) {
    if (busy) return;
    busy = true;
    document.getElementById("confirm-makeup").disabled = true;
    say(`正在补签 ${dayWords(day)}…`);
    const result = await send("POST", "/v1/checkins/makeup", { body: { date: day } });
    busy = false;
    if (!result.ok) {
      await load();
      // A make-up takes no Idempotency-Key: when an answer was lost and the retry found the day
      // done (or nothing came back), the month says whether it went through.
      const lost = result.status === 0 || result.problem.code === "already_checked_in";
      if (lost && (month.makeup_days || []).includes(day)) {
        return say(`补签已完成：${dayWords(day)}，积分余额 ${me.points.balance}`, "good");
      }
      return say(explain(result.problem), "bad");
    }
    const r = result.data;
    await load();
    say(`补签成功：${dayWords(r.date)}，花费 ${r.cost_points} 积分，当前连续签到 ${r.streak} 天，积分余额 ${r.balance}`, "good");
  }

  function renderPoints() {
    const points = me.points;
    const soon = points.expiring.map((lot) => h("li", { class: "warn" }, `${lot.amount} 积分将于 ${date(lot.expires_at)} 过期`));
    fill(
      "#points",
      h("p", {}, "积分余额 ", h("strong", { class: "huge", id: "balance" }, String(points.balance))),
      soon.length ? h("ul", { class: "plain", "aria-label": "即将过期的积分" }, soon) : h("p", { class: "muted" }, "30 天内没有即将过期的积分"),
    );
  }

  PE.start(load);
})();
