// Shared by every page (window.PE): the token hand-off from the URL fragment, calls to the JSON
// API, problem details explained in words, formatting, and a DOM builder that only ever makes
// text nodes from data (nothing from the API becomes markup).
"use strict";
(function () {
  const audience = document.body.dataset.audience; // "member" | "staff"
  const storageKey = `pharmedge.${audience}.token`;
  const ZONE = "Asia/Shanghai";

  // The token arrives as #token=... once; it is kept for this tab only and the fragment is
  // removed at once, so it never lands in history, a bookmark, a screenshot or a Referer.
  function takeToken() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    const fresh = fragment.get("token");
    if (fragment.has("token")) {
      if (fresh) sessionStorage.setItem(storageKey, fresh);
      fragment.delete("token");
      const rest = fragment.toString();
      history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
    }
    return sessionStorage.getItem(storageKey);
  }
  let token = takeToken();

  // The token's claims, for display only (who is signed in, which store): the server decides.
  function claims() {
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
    } catch {
      return {};
    }
  }

  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const $ = (selector) => document.querySelector(selector);
  const fill = (target, ...children) => {
    const node = typeof target === "string" ? $(target) : target;
    node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
    return node;
  };

  // --- words for the API's stable codes

  const WORDS = {
    network: "网络不稳定，请稍后重试",
    unauthenticated: "请先登录",
    invalid_token: "登录已过期，请重新打开链接",
    forbidden: "当前账号无权进行此操作",
    rate_limited: "操作太频繁",
    invalid_request: "填写的内容有误",
    not_found: "页面不存在",
    already_checked_in: "这一天已经签过到了",
    makeup_not_allowed: "这一天不能补签",
    insufficient_points: "积分不足",
    makeup_limit: "本月补签次数已用完",
    campaign_not_found: "活动不存在",
    campaign_not_started: "活动尚未开始",
    campaign_ended: "活动已结束",
    campaign_paused: "活动已暂停，请稍后再来",
    sold_out: "已抢光了",
    claim_limit_reached: "已达到领取上限",
    not_eligible: "不符合领取条件",
    invalid_poster_signature: "海报链接无效或已被篡改",
    idempotency_key_reused: "请求重复，请刷新页面后重试",
    order_not_found: "订单不存在",
    not_ready: "订单尚未备好，备好后会通知您",
    already_picked_up: "已取货",
    pickup_expired: "已超过取货期限",
    invalid_code: "取货码无效",
    code_expired: "取货码已过期，请顾客刷新后再扫",
    wrong_store: "不是本店的订单",
    pharmacist_required: "含处方药，须由药师核销",
    invalid_campaign: "活动配置有误",
    non_compliant_reward: "奖励不合规（处方药不能作为赠品或折扣对象）",
    campaign_exists: "活动编号已存在",
    invalid_transition: "当前状态不能这样变更",
    precondition_failed: "活动刚被其他人修改过，已为您刷新，请再确认一次",
    unknown_sku: "商品不存在",
    payload_too_large: "内容太长，请核对后重新扫描或输入",
    unsupported_media_type: "请求格式有误，请刷新页面后重试",
    request_in_progress: "上一次操作还在处理中，请稍候",
    unavailable: "服务繁忙，请稍后重试",
    internal: "服务出错了，请稍后重试",
    method_not_allowed: "不支持的操作",
  };
  const REASONS = {
    not_a_new_member: "仅限新注册会员",
    has_ordered_before: "仅限首单用户",
    tier_not_included: "您的会员等级不在活动范围内",
  };
  // A wait in words: seconds up to two minutes, then minutes, then hours.
  const waitWords = (seconds) =>
    seconds < 120 ? `${seconds} 秒` : seconds < 7200 ? `${Math.ceil(seconds / 60)} 分钟` : `${Math.ceil(seconds / 3600)} 小时`;

  function explain(problem) {
    if (!problem) return "";
    let words = WORDS[problem.code] || problem.title || "出错了";
    if (problem.reason) words += `：${REASONS[problem.reason] || problem.reason}`;
    if (problem.retry_after_s) words += `，请 ${waitWords(problem.retry_after_s)}后再试`;
    return words;
  }

  // --- the API

  // Why a token was refused, in words: expired, or not a token for this page at all (another kind
  // of account, a damaged link).
  const signInWords = (problem) =>
    problem && problem.code === "invalid_token" && !/expired/.test(problem.detail || "")
      ? "登录信息无效：链接已损坏，或不是本页面适用的账号，请重新打开链接"
      : "登录已过期，请重新打开链接";
  let signedOutHandler = (problem) => showSignIn(signInWords(problem));

  async function api(method, path, { body, idem, ifMatch } = {}) {
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (idem) headers["Idempotency-Key"] = idem;
    if (ifMatch) headers["If-Match"] = ifMatch;
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
    } catch {
      return { ok: false, status: 0, data: null, problem: { code: "network" } };
    }
    const type = response.headers.get("Content-Type") || "";
    let data = null;
    if (type.includes("json")) data = await response.json().catch(() => null);
    else if (type.startsWith("image/")) data = await response.blob();
    const retryAfter = Number(response.headers.get("Retry-After")) || undefined;
    let problem = null;
    if (!response.ok) {
      problem = data && typeof data === "object" && data.code ? data : { code: `http_${response.status}` };
      if (retryAfter) problem.retry_after_s = retryAfter;
      if (response.status === 401) signedOutHandler(problem);
    }
    return { ok: response.ok, status: response.status, data, problem, etag: response.headers.get("ETag") };
  }

  // A write that may be repeated safely (same Idempotency-Key): retried on a lost connection
  // or a gateway hiccup, so a weak network never turns one tap into two effects or none.
  async function send(method, path, options = {}) {
    const idem = options.idem || crypto.randomUUID();
    let result;
    for (let attempt = 0; attempt < 4; attempt++) {
      result = await api(method, path, { ...options, idem });
      // `retried`: an earlier attempt of this same tap may have taken effect unseen.
      if (![0, 502, 503, 504].includes(result.status)) return { ...result, retried: attempt > 0 };
      await new Promise((resolve) => setTimeout(resolve, 400 * 2 ** attempt));
    }
    return result;
  }

  // --- formatting (business time is Beijing time whatever the phone says)

  const yuan = (fen) => `¥${(Number(fen) / 100).toFixed(2)}`;
  const dateTime = (iso) =>
    iso
      ? new Date(iso).toLocaleString("zh-CN", {
          timeZone: ZONE,
          month: "numeric",
          day: "numeric",
          hour: "2-digit",
          minute: "2-digit",
          hour12: false,
        })
      : "";
  const date = (iso) =>
    iso ? new Date(iso).toLocaleDateString("zh-CN", { timeZone: ZONE, year: "numeric", month: "numeric", day: "numeric" }) : "";
  // Today's business date as YYYY-MM-DD.
  const today = () => new Date().toLocaleDateString("sv-SE", { timeZone: ZONE });

  // --- the page frame

  function showSignIn(reason) {
    const page = document.body.dataset.page;
    const path = location.pathname;
    const how =
      audience === "member"
        ? "请在药房 App 或微信公众号中打开此页面。"
        : "请从门店/营销系统的入口打开此页面。";
    const example =
      audience === "member"
        ? `scripts/token member <会员编号> --page ${path}`
        : `scripts/token staff <员工编号> ${page === "admin" ? "marketing" : "clerk <门店编号>"} --page ${path}`;
    fill(
      "main",
      h("h1", { text: document.title.split(" · ")[0] }),
      h(
        "section",
        { class: "card notice", role: "alert" },
        h("p", { class: "big", text: reason || "需要登录后才能使用" }),
        h("p", { text: how }),
        h("p", { class: "muted" }, "本地开发：运行 ", h("code", { text: example }), " 得到带登录信息的链接。"),
      ),
    );
  }

  // Runs the page's main function once the token is known; a page without one says how to
  // get one. Unexpected failures are shown, never swallowed.
  // Marks the page ready (html[data-ready], performance mark "pe-ready") once its first view is
  // drawn: what tests wait for and the benchmark times.
  function start(main) {
    const ready = () => {
      document.documentElement.dataset.ready = "1";
      performance.mark("pe-ready");
    };
    if (!token) {
      showSignIn();
      return ready();
    }
    Promise.resolve()
      .then(main)
      .catch((error) => {
        console.warn(error);
        say(`页面出错了：${error.message}`, "bad");
      })
      .finally(ready);
  }

  // The page's live region (role="status"), announced by screen readers.
  function say(text, tone = "info") {
    const region = $("#status") || document.body.appendChild(h("p", { id: "status", role: "status" }));
    region.className = `status ${tone}`;
    region.textContent = text;
  }

  window.PE = {
    h,
    $,
    fill,
    api,
    send,
    explain,
    waitWords,
    signInWords,
    start,
    say,
    claims,
    yuan,
    dateTime,
    date,
    today,
    showSignIn,
    onSignedOut: (handler) => (signedOutHandler = handler),
    get token() {
      return token;
    },
  };
})();
