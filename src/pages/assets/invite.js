// The invite page: the member's share link with a copy button, a QR of it for showing in
// person, and what the link has done (clicks, bound, rewarded and pending friends, points).
"use strict";
(function () {
  const { h, fill, api, explain, say } = PE;

  async function load() {
    const result = await api("GET", "/v1/referrals/me");
    if (!result.ok) {
      if (result.status !== 401) say(explain(result.problem), "bad");
      return;
    }
    const me = result.data;
    renderLink(me.url);
    renderStats(me);
    await loadQr();
  }

  function renderLink(url) {
    fill(
      "#link",
      h("label", { for: "share-url" }, "邀请链接"),
      h("input", { id: "share-url", class: "link-box", type: "text", readonly: true, value: url }),
      h("div", { class: "row" }, h("button", { type: "button", class: "primary", id: "copy", onclick: () => copy(url) }, "复制链接")),
    );
  }

  // The clipboard API where the browser allows it; otherwise the text is selected so that
  // the member can copy it by hand (older web views, no permission).
  async function copy(url) {
    try {
      await navigator.clipboard.writeText(url);
      say("链接已复制，去微信粘贴发给好友吧", "good");
    } catch {
      const input = document.getElementById("share-url");
      input.focus();
      input.select();
      say("已选中链接，请长按或用“复制”手动复制", "info");
    }
  }

  async function loadQr() {
    const result = await api("GET", "/v1/referrals/me/qr.svg");
    if (!result.ok || !(result.data instanceof Blob)) {
      fill("#qr", h("p", { class: "bad" }, result.problem ? explain(result.problem) : "二维码加载失败"));
      return;
    }
    const src = URL.createObjectURL(result.data);
    fill("#qr", h("img", { class: "qr", id: "qr-image", src, alt: "我的邀请链接二维码", width: 264, height: 264 }));
  }

  function renderStats(me) {
    const figures = [
      ["链接点击", me.clicks],
      ["今日点击", me.clicks_today],
      ["已绑定好友", me.bound],
      ["已获奖励", me.rewarded],
      ["待实名认证", me.pending],
      ["获得积分", me.points_earned],
    ];
    fill(
      "#stats",
      h("dl", { class: "stats" }, figures.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, String(value ?? 0))))),
      h("p", { class: "muted" }, `邀请码 ${me.code} · 好友须在 7 天内通过您的链接注册`),
    );
  }

  PE.start(load);
})();
