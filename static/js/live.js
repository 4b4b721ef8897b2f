// Live room: new gifts, chat messages and the leaderboard appear without a reload. With Redis the server pushes a
// "changed" event (Server-Sent Events); without it the page polls the feed twice a second.
(function () {
  "use strict";
  var room = document.getElementById("live-room");
  if (!room) { return; }
  var feedUrl = room.dataset.feedUrl;
  var lastId = Number(room.dataset.lastId || 0);
  var list = document.getElementById("gift-feed");
  var board = document.getElementById("live-board");
  var chat = document.getElementById("chat-list");  // absent on older pages: the chat part is skipped
  var lastChatId = Number(room.dataset.lastChatId || 0);
  var busy = false, again = false;
  // A large gift can be cancelled for a few seconds (GIFT_UNDO_SECONDS, 5 by default): entries this recent are
  // fetched again on each refresh, so a cancellation shows here too (struck out), not only after a reload.
  var RECHECK_MS = 15000;
  var recent = {};  // feed entry id -> when this page first showed it
  list.querySelectorAll("li[data-id]:not(.cancelled)").forEach(function (li) { recent[li.dataset.id] = Date.now(); });

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) { el.className = cls; }
    return el;
  }

  function badge(parent, person) {
    // The subscriber badge next to a name (never next to "Anonymous": the server leaves it off there).
    if (!person.subscriber) { return; }
    parent.appendChild(document.createTextNode(" "));
    var el = text("span", "★ Subscriber", "sub-badge");
    el.title = "Subscribes to this creator";
    parent.appendChild(el);
  }

  function renderChat(messages) {
    (messages || []).forEach(function (m) {
      if (!chat || m.id <= lastChatId) { return; }
      lastChatId = m.id;
      var empty = document.getElementById("chat-empty");
      if (empty) { empty.remove(); }
      var li = document.createElement("li");
      li.dataset.id = m.id;
      li.appendChild(text("strong", m.name, "who"));
      badge(li, m);
      li.appendChild(document.createTextNode(" "));
      if (m.text) { li.appendChild(text("span", m.text, "chat-text")); }
      if (m.sticker) {
        var img = document.createElement("img");
        img.src = m.sticker.artwork; img.alt = m.sticker.name + " sticker"; img.title = m.sticker.name;
        img.width = 48; img.height = 48; img.className = "sticker";
        li.appendChild(document.createTextNode(" "));
        li.appendChild(img);
      }
      if (m.effect) { li.classList.add("effect", m.effect); }
      li.classList.add("new");
      chat.appendChild(li);
      while (chat.children.length > 100) { chat.removeChild(chat.firstChild); }
      chat.scrollTop = chat.scrollHeight;
    });
  }

  function markCancelled(li) {
    if (li.classList.contains("cancelled")) { return; }
    li.classList.add("cancelled");
    li.appendChild(document.createTextNode(" (cancelled)"));
  }

  function since() {
    // Fetch from the oldest entry that could still be cancelled, or else only what is new.
    var now = Date.now(), oldest = null;
    Object.keys(recent).forEach(function (id) {
      if (now - recent[id] > RECHECK_MS) { delete recent[id]; return; }
      if (oldest === null || Number(id) < oldest) { oldest = Number(id); }
    });
    return oldest === null ? lastId : Math.min(lastId, oldest - 1);
  }

  function render(data) {
    data.gifts.forEach(function (g) {
      if (g.id <= lastId) {
        var seen = list.querySelector('li[data-id="' + g.id + '"]');
        if (g.cancelled && seen) { markCancelled(seen); delete recent[g.id]; }
        return;
      }
      lastId = g.id;
      if (!g.cancelled) { recent[g.id] = Date.now(); }
      var empty = document.getElementById("feed-empty");
      if (empty) { empty.remove(); }
      var li = document.createElement("li");
      li.dataset.id = g.id;
      var img = document.createElement("img");
      img.src = g.artwork; img.alt = ""; img.width = 28; img.height = 28;
      li.appendChild(img);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(text("strong", g.name, "who"));
      badge(li, g);
      li.appendChild(document.createTextNode(" sent " + g.quantity + " × " + g.gift));
      if (g.effect) { li.classList.add("effect", g.effect); }
      if (g.combo > 1) { li.appendChild(document.createTextNode(" ")); li.appendChild(text("span", "combo ×" + g.combo, "combo")); }
      if (g.cancelled) { markCancelled(li); }
      li.classList.add("new");
      list.appendChild(li);
      while (list.children.length > 50) { list.removeChild(list.firstChild); }
    });
    board.innerHTML = "";
    if (!data.leaderboard.length) { board.appendChild(text("li", "No gifts yet. Be the first!", "empty")); }
    data.leaderboard.forEach(function (row) {
      var li = document.createElement("li");
      li.appendChild(text("span", row.name, "who"));
      badge(li, row);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(text("span", "🪙 " + Number(row.coins).toLocaleString("en-US"), "num"));
      board.appendChild(li);
    });
    renderChat(data.chat);
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(feedUrl + "?after=" + since() + "&chat_after=" + lastChatId, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(render)
      .catch(function () {})
      .finally(function () { busy = false; if (again) { again = false; refresh(); } });
  }

  document.addEventListener("coinshop:gift-sent", refresh);
  document.addEventListener("coinshop:chat-sent", refresh);
  if (room.dataset.eventsUrl && window.EventSource) {
    var source = new EventSource(room.dataset.eventsUrl);
    source.addEventListener("changed", refresh);
    source.onopen = refresh;  // catch up after every (re)connection
    setInterval(refresh, 5000);  // a safety net for a lost message
  } else {
    setInterval(refresh, 500);
  }
})();
