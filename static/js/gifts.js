// Gift panel: send without leaving the page (falls back to a normal form post), cancel large gifts, countdowns.
(function () {
  "use strict";
  var form = document.getElementById("gift-form");
  if (!form) { return; }
  var result = document.getElementById("gift-result");

  function setBalance(value) {
    document.querySelectorAll(".js-coin-balance").forEach(function (el) {
      el.textContent = Number(value).toLocaleString("en-US");
    });
  }

  function say(text, ok) {
    result.textContent = text;
    result.className = "gift-result " + (ok ? "ok" : "error");
  }

  function showUndo(url, seconds) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button-secondary button-small";
    button.id = "undo-gift";
    var left = seconds;
    button.textContent = "Cancel (" + left + " s)";
    result.appendChild(document.createTextNode(" "));
    result.appendChild(button);
    var timer = setInterval(function () {
      left -= 1;
      if (left <= 0) { clearInterval(timer); button.remove(); return; }
      button.textContent = "Cancel (" + left + " s)";
    }, 1000);
    button.addEventListener("click", function () {
      clearInterval(timer);
      post(url, new FormData()).then(function (data) {
        button.remove();
        say(data.ok ? data.message : data.error, data.ok);
        if (data.balance !== undefined) { setBalance(data.balance); }
      });
    });
  }

  function post(url, body) {
    body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    return fetch(url, { method: "POST", body: body, credentials: "same-origin",
                        headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); });
  }

  // The live room's tray: each gift is its own send button; tapping one again within the combo window sends another
  // and its counter goes up.
  var comboMs = Number((document.getElementById("live-room") || { dataset: {} }).dataset.comboSeconds || 10) * 1000;
  function countCombo(button) {
    var badge = button && button.querySelector(".combo-count");
    if (!badge) { return; }
    var now = Date.now(), last = Number(button.dataset.lastSent || 0);
    var combo = now - last <= comboMs ? Number(button.dataset.combo || 1) + 1 : 1;
    button.dataset.combo = combo; button.dataset.lastSent = now;
    badge.textContent = combo > 1 ? "×" + combo : "";
    clearTimeout(button.comboTimer);
    button.comboTimer = setTimeout(function () { badge.textContent = ""; button.dataset.combo = 0; }, comboMs);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = event.submitter || form.querySelector("#send-gift");
    var body = new FormData(form);
    if (button && button.name) { body.set(button.name, button.value); }
    if (form.querySelector("#tray-anonymous") && form.querySelector("#tray-anonymous").checked) { body.set("visibility", "anonymous"); }
    else if (form.querySelector("#tray-anonymous")) { body.set("visibility", "public"); }
    button.disabled = true;
    post(form.action, body).then(function (data) {
      if (data.ok) {
        say(data.message, true);
        countCombo(button);
        form.querySelector("[name=idempotency_key]").value = data.next_key;
        if (data.undo_url) { showUndo(data.undo_url, data.undo_seconds); }
        document.dispatchEvent(new CustomEvent("coinshop:gift-sent"));
      } else {
        say(data.error, false);
        if (data.recharge && /coins/.test(data.error)) {
          var link = document.createElement("a");
          link.href = data.recharge; link.textContent = "Recharge now";
          result.appendChild(document.createTextNode(" "));
          result.appendChild(link);
        }
      }
      if (data.balance !== undefined) { setBalance(data.balance); }
    }).catch(function () {
      say("Could not reach Coinshop; nothing was sent. Please try again.", false);
    }).finally(function () { button.disabled = false; });
  });

  // Event countdowns: "ends in 1h 02m 03s", and the gift leaves the panel when its event ends.
  function tick() {
    document.querySelectorAll(".gift-event[data-ends]").forEach(function (el) {
      var ms = new Date(el.dataset.ends) - new Date();
      var label = el.closest(".gift-choice");
      if (ms <= 0) { if (label) { label.remove(); } return; }
      var s = Math.floor(ms / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
      el.querySelector(".countdown").textContent = h + "h " + String(m).padStart(2, "0") + "m " + String(s % 60).padStart(2, "0") + "s";
    });
  }
  tick();
  setInterval(tick, 1000);
})();
