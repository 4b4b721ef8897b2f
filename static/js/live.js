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
  if (chat) {
    chat.querySelectorAll("li[data-id]").forEach(function (li) { shownChat[li.dataset.id] = true; });
    chat.scrollTop = chat.scrollHeight;  // chat reads downwards: its newest line is at the bottom
  }

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) { el.className = cls; }
    return el;
  }

  function badge(parent, person) {
    // The gifter level and the subscriber badge next to a name (never next to "Anonymous": the server leaves them off).
    if (person.level > 0) {
      parent.appendChild(document.createTextNode(" "));
      var lv = text("span", "", "level-badge");
      lv.title = "Gifter level " + person.level;
      lv.appendChild(text("span", "Gifter level ", "visually-hidden"));
      lv.appendChild(text("span", "Lv ", ""));
      lv.lastChild.setAttribute("aria-hidden", "true");
      lv.appendChild(document.createTextNode(String(person.level)));
      parent.appendChild(lv);
    }
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

  function removeChat(id) {
    // A moderator deleted the message: it leaves every page (and is not shown again by a later feed).
    shownChat[id] = true;
    var li = chat && chat.querySelector('li[data-id="' + id + '"]');
    if (li) { li.remove(); }
  }

  function markCancelled(li) {
    if (!li || li.classList.contains("cancelled")) { return; }
    li.classList.add("cancelled");
    li.appendChild(document.createTextNode(" (cancelled)"));
  }

  function addGift(g) {
    var seen = shownGifts[g.id];
    if (seen) { if (g.cancelled) { markCancelled(seen); } return false; }
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
    list.insertBefore(li, list.firstChild);  // newest first: always in sight
    while (list.children.length > 50) {
      var gone = list.lastChild;
      list.removeChild(gone);
      if (gone.dataset) { delete shownGifts[gone.dataset.id]; }
    }
    list.scrollTop = 0;
    return true;
  }

  // A gift arriving live plays over the video: small gifts briefly, big ones bigger and longer, with the sender's
  // public name and the combo count. With reduced motion it is a quiet line that fades.
  var overlay = document.getElementById("gift-overlay");
  function animate(g) {
    if (!overlay || g.cancelled) { return; }
    var size = g.coins >= 1000 ? "big" : (g.coins >= 100 ? "medium" : "small");
    var pop = document.createElement("div");
    pop.className = "gift-pop " + size;
    pop.dataset.id = g.id;
    var img = document.createElement("img");
    img.className = "gift-art"; img.src = g.artwork; img.alt = "";
    pop.appendChild(img);
    var words = document.createElement("span");
    words.appendChild(text("strong", g.name, "who"));
    words.appendChild(document.createTextNode(" sent " + (g.quantity > 1 ? g.quantity + " × " : "") + g.gift));
    if (g.combo > 1) { words.appendChild(document.createTextNode(" ")); words.appendChild(text("span", "×" + g.combo, "combo")); }
    pop.appendChild(words);
    overlay.appendChild(pop);
    while (overlay.children.length > 6) { overlay.removeChild(overlay.firstChild); }
    setTimeout(function () { pop.remove(); }, size === "big" ? 5000 : (size === "medium" ? 3500 : 2200));
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
    var badge = document.getElementById("live-badge");
    if (badge) { badge.textContent = "Ended"; badge.className = "badge"; }
    player.stop("This stream has ended.");
  }

  // The video: HLS from the ingest (hls.js; Safari plays HLS natively). "Offline" until the creator streams,
  // "Starting" until the first segments exist, and it tries again by itself when the stream drops and returns.
  var player = (function () {
    var video = document.getElementById("live-video");
    var state = document.getElementById("player-state");
    var unmute = document.getElementById("unmute");
    var src = room.dataset.hlsUrl;
    var hls = null, retry = null, creator = (document.querySelector(".player-bar a") || {}).textContent || "The creator";
    function say(words) { if (state) { state.textContent = words; state.hidden = !words; } }
    function later() { clearTimeout(retry); retry = setTimeout(start, 3000); }
    function start() {
      clearTimeout(retry);
      if (!video || !src || room.dataset.live !== "1" || room.dataset.streaming !== "1") { return; }
      say("Starting the video…");
      if (window.Hls && window.Hls.isSupported()) {
        if (hls) { hls.destroy(); }
        hls = new window.Hls({ liveSyncDurationCount: 2, manifestLoadingMaxRetry: 0 });
        hls.on(window.Hls.Events.ERROR, function (_, data) {
          if (data.fatal) { hls.destroy(); hls = null; say("Waiting for the video…"); later(); }
        });
        hls.loadSource(src);
        hls.attachMedia(video);
      } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
        video.src = src;
      } else {
        say("This browser cannot play the live video.");
        return;
      }
      var played = video.play();
      if (played && played.catch) { played.catch(function () {}); }
    }
    if (video) {
      video.addEventListener("playing", function () { say(""); if (unmute) { unmute.hidden = !video.muted; } });
      video.addEventListener("error", function () { say("Waiting for the video…"); later(); });
    }
    if (unmute) { unmute.addEventListener("click", function () { video.muted = false; unmute.hidden = true; }); }
    return {
      start: start,
      stop: function (words) {
        clearTimeout(retry);
        if (hls) { hls.destroy(); hls = null; }
        if (video) { video.removeAttribute("src"); video.load(); }
        say(words || "Offline: the video starts here when " + creator + " streams from OBS.");
      }
    };
  })();
  player.start();

  // The feed as the database has it: the first render of a poll, or a resync after a gap in the events.
  function renderFeed(data, live) {
    data.gifts.forEach(function (g) { if (addGift(g) && live) { animate(g); } });
    (data.chat || []).forEach(addChat);
    (data.chat_removed || []).forEach(removeChat);
    renderBoard(data.leaderboard);
    if ("goal" in data) {  // polling: say "reached" when this page sees it become so
      var done = document.getElementById("goal-done");
      showGoal(data.goal, Boolean(data.goal && data.goal.reached && done && done.hidden));
    }
    if (data.live === false) { ended(); return; }
    var streaming = data.streaming ? "1" : "0";
    if (data.streaming !== undefined && streaming !== room.dataset.streaming) {
      room.dataset.streaming = streaming;
      if (data.streaming) { player.start(); } else { player.stop(); }
    }
  }

  // The creator's gift goal: its bar moves with every gift and cancellation; reaching it is said once, in the feed.
  function showGoal(state, reached) {
    window.coinshopGoal(state);
    if (state && reached) {
      var li = text("li", "🎯 Goal reached: " + state.title, "goal-reached new");
      list.insertBefore(li, list.firstChild);
    }
  }

  // Event ids are "<ms>-<seq>": compare them as number pairs.
  function after(a, b) {
    if (!b) { return true; }
    var x = a.split("-"), y = b.split("-");
    return Number(x[0]) > Number(y[0]) || (Number(x[0]) === Number(y[0]) && Number(x[1]) > Number(y[1]));
  }

  function apply(event) {
    if (event.type === "gift") { if (addGift(event.gift)) { animate(event.gift); } }
    else if (event.type === "undo") {
      markCancelled(shownGifts[event.gift_id]);
      var pop = overlay && overlay.querySelector('.gift-pop[data-id="' + event.gift_id + '"]');
      if (pop) { pop.remove(); }
    }
    else if (event.type === "chat") { addChat(event.chat); }
    else if (event.type === "chat_removed") { removeChat(event.message_id); }
    else if (event.type === "ended") { ended(); }
    else if (event.type === "goal") { showGoal(event.goal, event.reached); }
    else if (event.type === "viewers") { var count = document.getElementById("viewer-count"); if (count) { count.textContent = Number(event.count).toLocaleString("en-US"); } }
    else if (event.type === "stream") {
      room.dataset.streaming = event.streaming ? "1" : "0";
      if (event.streaming) { player.start(); } else { player.stop(); }
    }
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
        .then(function (data) { version = data.v; if (!data.unchanged) { renderFeed(data, true); } })
        .catch(function () {})
        .finally(function () { busy = false; });
    };
    document.addEventListener("coinshop:gift-sent", poll);
    document.addEventListener("coinshop:chat-sent", poll);
    setInterval(poll, 500);
  }
})();
