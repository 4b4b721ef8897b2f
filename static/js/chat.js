// Live-room chat: send without leaving the page (falls back to a normal form post). New messages arrive through
// the live feed (live.js), like gifts; this only sends, says what happened, and asks the feed to refresh.
(function () {
  "use strict";
  var form = document.getElementById("chat-form");
  if (!form) { return; }
  var result = document.getElementById("chat-result");
  var input = form.querySelector("[name=text]");
  var counter = document.getElementById("chat-count");
  var max = Number(form.dataset.maxLength || 0);

  function say(message, ok) {
    result.textContent = message;
    result.className = "chat-result " + (ok ? "ok" : "error");
  }

  function barred(message) {
    // Timed out or banned (a moderator acted meanwhile): the chat box says why instead of offering a form that fails.
    var notice = document.createElement("p");
    notice.className = "status status-warn chat-notice";
    notice.id = "chat-notice";
    notice.setAttribute("role", "status");
    notice.textContent = message;
    form.replaceWith(notice);
  }

  function effectUsed() {
    // The armed effect goes with the next gift or message in a live room: once used, the note goes away.
    var note = document.getElementById("armed-effect");
    if (note) { note.remove(); }
  }

  function count() {
    if (!counter || !max) { return; }
    var n = input.value.trim().length;
    counter.textContent = n + " / " + max;
    counter.classList.toggle("over", n > max);
  }

  input.addEventListener("input", count);
  count();

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("#chat-send");
    button.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                         headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (data) { data.status = r.status; return data; }); })
      .then(function (data) {
        if (data.status === 403) { barred(data.error); return; }
        if (data.ok) {
          say(data.message, true);
          input.value = "";
          var none = form.querySelector("[name=sticker][value='']");
          if (none) { none.checked = true; }
          if (data.effect) { effectUsed(); }
          count();
          document.dispatchEvent(new CustomEvent("coinshop:chat-sent"));
        } else {
          say(data.error, false);
        }
      })
      .catch(function () { say("Could not reach Coinshop; nothing was sent. Please try again.", false); })
      .finally(function () { button.disabled = false; if (document.body.contains(input)) { input.focus(); } });
  });

  document.addEventListener("coinshop:gift-sent", effectUsed);
})();
