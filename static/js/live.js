// Live room: gifts, cancellations, chat, badges, the board and the end of the stream arrive as they happen.
// With Redis the server pushes each event itself (Server-Sent Events, several per message in a burst); the page
// shows each gift once whatever order they come in, and after a reconnect the browser's Last-Event-ID brings what
// it missed (or a "resync": fetch the feed once). Without Redis the page polls the feed, which answers in a few
// bytes while nothing changed.
(function () {
  "use strict";
  var room = document.getElementById("live-room");
  if (!room) { return; }
  var feedUrl = room.dataset.feedUrl;
  var version = room.dataset.feedVersion || "";
  var lastEventId = room.dataset.lastEventId || "";
  var list = document.getElementById("gift-feed");
  var board = document.getElementById("live-board");
  var chat = document.getElementById("chat-list");  // absent on older pages: the chat part is skipped
  var shownGifts = {}, shownChat = {};
  list.querySelectorAll("li[data-id]").forEach(function (li) { shownGifts[li.dataset.id] = li; });
  if (chat) { chat.querySelectorAll("li[data-id]").forEach(function (li) { shownChat[li.dataset.id] = true; }); }

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

  function addChat(m) {
    if (!chat || shownChat[m.id]) { return; }
    shownChat[m.id] = true;
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
  }

  function markCancelled(li) {
    if (!li || li.classList.contains("cancelled")) { return; }
    li.classList.add("cancelled");
    li.appendChild(document.createTextNode(" (cancelled)"));
  }

  function addGift(g) {
    var seen = shownGifts[g.id];
    if (seen) { if (g.cancelled) { markCancelled(seen); } return; }
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
    shownGifts[g.id] = li;
    list.appendChild(li);
    while (list.children.length > 50) {
      var gone = list.firstChild;
      list.removeChild(gone);
      if (gone.dataset) { delete shownGifts[gone.dataset.id]; }
    }
    list.scrollTop = list.scrollHeight;
  }

  function renderBoard(rows) {
    board.innerHTML = "";
    if (!rows.length) { board.appendChild(text("li", "No gifts yet. Be the first!", "empty")); }
    rows.forEach(function (row) {
      var li = document.createElement("li");
      li.appendChild(text("span", row.name, "who"));
      badge(li, row);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(text("span", "🪙 " + Number(row.coins).toLocaleString("en-US"), "num"));
      board.appendChild(li);
    });
  }

  function ended() {
    room.dataset.live = "0";
    var panel = document.getElementById("gift-panel");
    if (panel) { panel.hidden = true; }
    var note = document.getElementById("stream-ended");
    if (note) { note.hidden = false; }
  }

  // The feed as the database has it: the first render of a poll, or a resync after a gap in the events.
  function renderFeed(data) {
    data.gifts.forEach(addGift);
    (data.chat || []).forEach(addChat);
    renderBoard(data.leaderboard);
    if (data.live === false) { ended(); }
  }

  // Event ids are "<ms>-<seq>": compare them as number pairs.
  function after(a, b) {
    if (!b) { return true; }
    var x = a.split("-"), y = b.split("-");
    return Number(x[0]) > Number(y[0]) || (Number(x[0]) === Number(y[0]) && Number(x[1]) > Number(y[1]));
  }

  function apply(event) {
    if (event.type === "gift") { addGift(event.gift); }
    else if (event.type === "undo") { markCancelled(shownGifts[event.gift_id]); }
    else if (event.type === "chat") { addChat(event.chat); }
    else if (event.type === "ended") { ended(); }
  }

  if (room.dataset.eventsUrl && window.EventSource) {
    var source = null;
    var connect = function () {
      // The browser reconnects by itself (sending Last-Event-ID); this first id covers what committed between the
      // page's render and the connection.
      var url = room.dataset.eventsUrl + (lastEventId ? "?last_event_id=" + encodeURIComponent(lastEventId) : "");
      source = new EventSource(url);
      source.addEventListener("batch", function (message) {
        var data = JSON.parse(message.data);
        data.events.forEach(function (event) {
          if (!after(event.id, lastEventId)) { return; }  // already shown (a reconnect's overlap)
          lastEventId = event.id;
          apply(event);
        });
        if (data.board) { renderBoard(data.board); }
        room.dataset.lastEventId = lastEventId;
        if (room.dataset.live === "0") { source.close(); }
      });
      source.addEventListener("resync", function (message) {
        // The events since this page's last one are gone: take the room from the database once.
        lastEventId = message.lastEventId || lastEventId;
        fetch(feedUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.json(); }).then(renderFeed).catch(function () {});
      });
      source.addEventListener("ended", function () { ended(); source.close(); });
    };
    connect();
    // For the browser tests: drop the connection, and open a new one from where this page is.
    window.coinshopLive = {
      disconnect: function () { source.close(); },
      reconnect: function () { source.close(); connect(); }
    };
  } else {
    var busy = false;
    var poll = function () {
      if (busy) { return; }
      busy = true;
      fetch(feedUrl + "?v=" + encodeURIComponent(version), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) { version = data.v; if (!data.unchanged) { renderFeed(data); } })
        .catch(function () {})
        .finally(function () { busy = false; });
    };
    document.addEventListener("coinshop:gift-sent", poll);
    document.addEventListener("coinshop:chat-sent", poll);
    setInterval(poll, 500);
  }
})();
