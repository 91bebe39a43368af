// The store counter: a hand scanner types the QR text into 取货码 and Enter verifies; the camera
// scans with BarcodeDetector where the browser has it and the bundled jsQR otherwise; the
// 6-digit code goes with the order id. The outcome fills the status region in colour and words,
// then the field is cleared and focused for the next customer. The waiting list keeps itself fresh.
"use strict";
PE.start(() => {
  const { h, $, fill, api, explain, dateTime } = PE;
  const form = $("#verify-form");
  const codeInput = $("#code");
  const orderInput = $("#order-id");
  const video = $("#video");
  const cameraBox = $("#camera");
  const scanButton = $("#scan");
  const WAITING_EVERY_MS = 20000;
  const SCAN_EVERY_MS = 200;

  const me = PE.claims();
  const ROLES = { clerk: "店员", pharmacist: "药师" };
  fill("#who", `${ROLES[me.role] || me.role || ""} ${me.sub || ""} · 门店 ${me.store || "（未指定）"}`);

  // --- the outcome, announced in the role="status" region

  function outcome(tone, title, ...details) {
    const region = $("#status");
    region.className = `status outcome ${tone}`;
    fill(region, h("strong", { class: "huge", text: title }), ...details);
  }

  const lineItems = (lines) =>
    h(
      "ul",
      { class: "handover" },
      lines.map((line) =>
        h(
          "li",
          {},
          h("span", { class: "qty", text: `${line.qty} ×` }),
          ` ${line.name || line.sku} `,
          line.drug_class === "rx" ? h("span", { class: "tag rx", text: "处方药" }) : null,
        ),
      ),
    );

  // The last verification here: a second scan of the same code by the same clerk (a hand scanner
  // firing twice) is not a red "already picked up" over the customer still waiting for the goods.
  let lastVerified = null;
  function showVerified(data) {
    lastVerified = data;
    outcome(
      "good",
      "✓ 核销成功，请交货",
      h("p", { text: `订单 ${data.order_id} · ${dateTime(data.verified_at)} 由 ${data.verified_by} 核销` }),
      lineItems(data.lines || []),
    );
  }

  function showRefusal(result) {
    const problem = result.problem;
    const p = (text) => h("p", { text });
    switch (problem.code) {
      case "already_picked_up":
        if (lastVerified && problem.verified_at === lastVerified.verified_at && problem.verified_by === me.sub) {
          return outcome(
            "warn",
            "! 已取过货：此单刚刚由您核销（重复扫码）",
            p(`${dateTime(problem.verified_at)} 由 ${problem.verified_by} 核销 · 尚未交货请按清单交货，已交货请勿重复交货`),
            lineItems(lastVerified.lines || []),
          );
        }
        return outcome("bad", "✗ 已取过货，请勿重复交货", p(`${dateTime(problem.verified_at)} 由 ${problem.verified_by || "—"} 核销`));
      case "pharmacist_required":
        return outcome("warn", "! 含处方药，须由药师核销", p("请药师登录本页后扫码核销"));
      case "wrong_store":
        return outcome("bad", "✗ 不是本店的订单", p("请顾客到下单时选择的门店取货"));
      case "code_expired":
        return outcome("warn", "! 取货码已过期", p("请顾客在手机上刷新取货码后再扫"));
      case "invalid_code":
        return outcome("bad", "✗ 取货码无效", p("请核对后重新扫描或输入"));
      case "not_ready":
        return outcome("warn", "! 订单尚未备好", p("备好后顾客会收到通知"));
      case "pickup_expired":
        return outcome("bad", "✗ 已超过取货期限", p("该订单已不能在本店取货"));
      case "rate_limited": {
        const wait = problem.retry_after_s;
        return outcome("warn", "! 操作太频繁", p(wait ? `请 ${PE.waitWords(wait)}后再试` : "请稍后再试"), p("顾客手机上的二维码仍可直接扫码核销"));
      }
      default:
        return outcome("bad", `✗ ${explain(problem)}`);
    }
  }

  // --- verifying

  // A hand scanner types the next customer's code while the last one is being verified: the
  // field is emptied when a code is taken (never when an answer comes, which would cut the
  // code being typed), Enter always submits (a disabled default button would swallow it), and
  // codes scanned meanwhile wait their turn in scan order.
  let verifying = false;
  let inFlight = null; // the body being verified, as sent
  const queue = []; // bodies scanned while another was being verified, in scan order
  let signedOut = false; // the page has been replaced by the sign-in notice
  function take(body) {
    const text = JSON.stringify(body);
    // The same code fired twice by the scanner while it waits is one verification.
    if (text === inFlight || queue.some((queued) => JSON.stringify(queued) === text)) return;
    if (verifying) {
      queue.push(body);
      return PE.say(`上一单正在核销，这一单已排队（前面还有 ${queue.length} 单），稍后自动核销`, "info");
    }
    verify(body);
  }
  async function verify(body) {
    verifying = true;
    inFlight = JSON.stringify(body);
    PE.say("正在核销…");
    try {
      const result = await api("POST", "/v1/store/pickups/verify", { body });
      if (signedOut) return;
      if (result.ok) showVerified(result.data);
      else showRefusal(result);
    } finally {
      inFlight = null;
      if (!signedOut) readyForNext();
    }
    if (queue.length && !signedOut) {
      // The previous outcome stays readable for a moment before the next one replaces it;
      // scans meanwhile still queue behind.
      const next = queue.shift();
      setTimeout(() => verify(next), 1500);
    } else {
      verifying = false;
    }
  }

  // Ready for the next customer: the cursor back in the code field (what is being typed
  // there stays), the waiting list refreshed.
  function readyForNext() {
    if (document.activeElement !== orderInput) codeInput.focus();
    loadWaiting();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = codeInput.value.trim();
    const orderId = orderInput.value.trim();
    if (!code) {
      PE.say("请扫描或输入取货码", "bad");
      return codeInput.focus();
    }
    if (/^\d{6}$/.test(code)) {
      if (!orderId) {
        PE.say("手输 6 位数字码时请填写订单号", "bad");
        return orderInput.focus();
      }
      codeInput.value = "";
      orderInput.value = "";
      return take({ order_id: orderId, short_code: code });
    }
    codeInput.value = "";
    orderInput.value = "";
    take({ code });
  });

  // --- the camera

  let stream = null;
  let scanTimer = 0;
  let jsqrLoading = null;

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve();
    jsqrLoading ||= new Promise((resolve, reject) => {
      const script = h("script", { src: $("main").dataset.jsqr });
      script.addEventListener("load", resolve);
      script.addEventListener("error", () => {
        jsqrLoading = null;
        reject(new Error("解码组件加载失败"));
      });
      document.head.append(script);
    });
    return jsqrLoading;
  }

  // A function from the video to the QR text in view (or nothing).
  async function makeDecoder() {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) {
          const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          return async (source) => (await detector.detect(source))[0]?.rawValue;
        }
      } catch {
        // fall through to jsQR
      }
    }
    await loadJsQR();
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    return (source) => {
      const scale = Math.min(1, 640 / source.videoWidth);
      canvas.width = Math.round(source.videoWidth * scale);
      canvas.height = Math.round(source.videoHeight * scale);
      context.drawImage(source, 0, 0, canvas.width, canvas.height);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      return window.jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" })?.data;
    };
  }

  function stopScan() {
    clearTimeout(scanTimer);
    scanTimer = 0;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    cameraBox.hidden = true;
    scanButton.disabled = false;
  }

  async function startScan() {
    if (stream) return;
    if (!navigator.mediaDevices?.getUserMedia) return PE.say("此设备不支持摄像头扫码，请用扫码枪或手输", "bad");
    scanButton.disabled = true;
    try {
      const decode = await makeDecoder();
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      video.srcObject = stream;
      cameraBox.hidden = false;
      await video.play();
      PE.say("正在扫码…");
      const tick = async () => {
        if (!stream) return;
        let text;
        if (video.readyState >= 2 && video.videoWidth) {
          try {
            text = await decode(video);
          } catch {
            text = undefined;
          }
        }
        if (!stream) return;
        if (text) {
          stopScan();
          return take({ code: text.trim() });
        }
        scanTimer = setTimeout(tick, SCAN_EVERY_MS);
      };
      tick();
    } catch (error) {
      stopScan();
      const denied = error.name === "NotAllowedError";
      PE.say(denied ? "未获得摄像头权限，请用扫码枪或手输" : `无法扫码：${error.message}`, "bad");
    }
  }

  scanButton.addEventListener("click", startScan);
  $("#stop-scan").addEventListener("click", () => {
    stopScan();
    codeInput.focus();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) stopScan();
  });

  // --- the waiting list

  let waitingTimer = 0;
  async function loadWaiting() {
    if (signedOut) return;
    clearTimeout(waitingTimer);
    waitingTimer = setTimeout(loadWaiting, WAITING_EVERY_MS);
    const result = await api("GET", "/v1/store/pickups?status=ready");
    if (signedOut) return;
    if (!result.ok) return fill("#waiting-updated", `待取货列表未能更新：${explain(result.problem)}`);
    fill("#waiting-updated", `更新于 ${new Date().toLocaleTimeString("zh-CN", { hour12: false })}，每 ${WAITING_EVERY_MS / 1000} 秒自动刷新`);
    const pickups = result.data.pickups;
    if (!pickups.length) return fill("#waiting", h("p", { class: "muted", text: "暂无待取货订单" }));
    fill(
      "#waiting",
      h(
        "table",
        { class: "waiting" },
        h("thead", {}, h("tr", {}, ["订单号", "备好时间", "取货期限", "品项", "处方药"].map((t) => h("th", { scope: "col", text: t })))),
        h(
          "tbody",
          {},
          pickups.map((p) =>
            h(
              "tr",
              { dataset: { order: p.order_id } },
              h("td", {}, h("button", { type: "button", class: "link", title: "填入订单号", onclick: () => useOrder(p.order_id), text: p.order_id })),
              h("td", { text: dateTime(p.ready_at) }),
              h("td", { text: dateTime(p.pickup_deadline) }),
              h("td", { text: String(p.line_count) }),
              h("td", {}, p.has_rx ? h("span", { class: "tag rx", text: "处方" }) : "—"),
            ),
          ),
        ),
      ),
    );
  }

  // A row's order id goes into the order field; the cursor goes to the code for the 6 digits.
  function useOrder(orderId) {
    orderInput.value = orderId;
    codeInput.focus();
  }

  // An expired token: stop the camera and the list, and say how to sign in again.
  PE.onSignedOut((problem) => {
    signedOut = true;
    stopScan();
    clearTimeout(waitingTimer);
    PE.showSignIn(PE.signInWords(problem));
  });

  codeInput.focus();
  // Ready (for the tests and the benchmark) once the waiting list is drawn; the field works at once.
  return loadWaiting();
});
