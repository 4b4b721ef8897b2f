// Polls the purchase status until it is final, and updates the page without a reload.
(function () {
  "use strict";
  var box = document.getElementById("purchase-status");
  if (!box || box.dataset.status !== "pending") { return; }
  var text = document.getElementById("status-text");
  var balance = document.getElementById("status-balance");
  var url = box.dataset.url;
  var delay = 1000;

  function show(state) {
    box.dataset.status = state.status;
    text.className = "state state-" + state.status;
    if (state.status === "paid") {
      text.textContent = "✅ Paid. " + state.coins.toLocaleString("en-US") + " coins were added to your wallet.";
    } else if (state.status !== "pending") {
      text.textContent = state.label + (state.reason ? ": " + state.reason : "");
    }
    balance.textContent = state.balance.toLocaleString("en-US");
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (state) {
        show(state);
        if (!state.final) { setTimeout(poll, delay); }
      })
      .catch(function () { delay = Math.min(delay * 2, 10000); setTimeout(poll, delay); });
  }
  setTimeout(poll, delay);
})();
