// Live-room chat lines get one small control each: "Report" (a link to the report form) for viewers, and for the
// creator and their moderators a "Moderate" button that opens the moderation form (#mod-panel) for that line:
// delete the message, time its sender out, or ban them (and, for the creator, make them a moderator). Lines pushed
// later (live.js) get theirs as they arrive.
(function () {
  "use strict";
  var card = document.getElementById("chat-card");
  var chat = document.getElementById("chat-list");
  if (!card || !chat) { return; }
  var moderator = card.dataset.moderator === "1";
  var reportUrl = card.dataset.reportUrl || "";
  var panel = document.getElementById("mod-panel");
  var result = document.getElementById("mod-result");
  var opener = null;

  function say(message, ok) {
    if (!result) { return; }
    result.textContent = message;
    result.className = "chat-result " + (ok ? "ok" : "error");
  }

  function who(li) {
    var name = li.querySelector(".who");
    return name ? name.textContent : "someone";
  }

  function decorate(li) {
    if (!li.dataset || !li.dataset.id || li.querySelector(".chat-act")) { return; }
    li.appendChild(document.createTextNode(" "));
    if (moderator && panel) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "chat-act button-secondary button-small";
      button.textContent = "Moderate";
      button.setAttribute("aria-label", "Moderate the message from " + who(li));
      button.addEventListener("click", function () { open(li, button); });
      li.appendChild(button);
    } else if (reportUrl) {
      var link = document.createElement("a");
      link.className = "chat-act";
      link.href = reportUrl.replace("/0/", "/" + encodeURIComponent(li.dataset.id) + "/") +
        "?next=" + encodeURIComponent(window.location.pathname);
      link.textContent = "Report";
      link.setAttribute("aria-label", "Report the message from " + who(li));
      li.appendChild(link);
    }
  }

  function open(li, button) {
    opener = button;
    panel.querySelector("[name=message]").value = li.dataset.id;
    var target = document.getElementById("mod-target");
    var words = li.querySelector(".chat-text");
    target.textContent = "Message from " + who(li) + (words ? ": “" + words.textContent + "”" : "");
    panel.hidden = false;
    say("", true);
    panel.scrollIntoView({ block: "nearest" });
    panel.querySelector("button[value=delete]").focus();
  }

  function close() {
    if (!panel) { return; }
    panel.hidden = true;
    if (opener && document.body.contains(opener)) { opener.focus(); }
  }

  chat.querySelectorAll("li[data-id]").forEach(decorate);
  new MutationObserver(function (changes) {
    changes.forEach(function (change) { change.addedNodes.forEach(function (node) { if (node.nodeType === 1) { decorate(node); } }); });
  }).observe(chat, { childList: true });

  if (!panel) { return; }
  document.getElementById("mod-cancel").addEventListener("click", close);
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") { close(); } });
  panel.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = new FormData(panel);
    var submitter = event.submitter;
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    var buttons = panel.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(panel.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (reply) {
        if (reply.ok) {
          say(reply.message, true);
          if (data.get("action") === "delete") {
            var li = chat.querySelector('li[data-id="' + data.get("message") + '"]');
            if (li) { li.remove(); }
          }
          panel.querySelector("[name=reason]").value = "";
          close();
        } else {
          say(reply.error, false);
        }
      })
      .catch(function () { say("Could not reach Coinshop; nothing was done. Please try again.", false); })
      .finally(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  });
})();
