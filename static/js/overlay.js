// The alerts overlay for OBS: it follows the creator's live room (the same events as the room) and shows each gift
// as an alert with the gifter's public name, the gift and the combo, and the goal's progress. Between streams it
// asks every 10 s whether the creator went live.
(function () {
  "use strict";
  var root = document.getElementById("overlay");
  if (!root) { return; }
  var alerts = document.getElementById("alerts");
  var status = document.getElementById("overlay-status");
  var source = null, poll = null, version = "", lastEventId = "", shown = {};

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) { el.className = cls; }
    return el;
  }

  function goal(state, reached) {
    window.coinshopGoal(state);
    if (state && reached) { show({ id: "goal-" + Date.now(), name: "🎯 Goal reached", gift: state.title, coins: 1000, quantity: 1, combo: 1 }, true); }
  }

  function show(g, isGoal) {
    if (shown[g.id] || g.cancelled) { return; }
    shown[g.id] = true;
    var size = g.coins >= 1000 ? "big" : (g.coins >= 100 ? "medium" : "small");
    var alert = document.createElement("div");
    alert.className = "gift-pop alert " + size;
    alert.dataset.id = g.id;
    if (g.artwork) { var img = document.createElement("img"); img.className = "gift-art"; img.src = g.artwork; img.alt = ""; alert.appendChild(img); }
    var words = document.createElement("span");
    words.appendChild(text("strong", g.name, "who"));
    words.appendChild(document.createTextNode(isGoal ? ": " + g.gift : " sent " + (g.quantity > 1 ? g.quantity + " × " : "") + g.gift));
    if (g.combo > 1) { words.appendChild(document.createTextNode(" ")); words.appendChild(text("span", "×" + g.combo, "combo")); }
    alert.appendChild(words);
    alerts.appendChild(alert);
    while (alerts.children.length > 5) { alerts.removeChild(alerts.firstChild); }
    setTimeout(function () { alert.remove(); }, size === "big" ? 6000 : 4000);
  }

  function apply(event) {
    if (event.type === "gift") { show(event.gift, false); }
    else if (event.type === "undo") { var el = alerts.querySelector('[data-id="' + event.gift_id + '"]'); if (el) { el.remove(); } }
    else if (event.type === "goal") { goal(event.goal, event.reached); }
    else if (event.type === "ended") { offline(); }
  }

  function offline() {
    if (source) { source.close(); source = null; }
    clearInterval(poll);
    status.hidden = false;
    setTimeout(find, 10000);
  }

  function listen(state) {
    status.hidden = true;
    lastEventId = state.last_event_id || "";
    if (state.events_url && window.EventSource) {
      source = new EventSource(state.events_url + (lastEventId ? "?last_event_id=" + encodeURIComponent(lastEventId) : ""));
      source.addEventListener("batch", function (message) {
        JSON.parse(message.data).events.forEach(function (event) { apply(event); });
      });
      source.addEventListener("ended", offline);
    } else {  // no Redis: poll the room's feed (it answers in a few bytes while nothing changed)
      fetch(state.feed_url).then(function (r) { return r.json(); }).then(function (data) {
        version = data.v; data.gifts.forEach(function (g) { shown[g.id] = true; });
      });
      poll = setInterval(function () {
        fetch(state.feed_url + "?v=" + encodeURIComponent(version)).then(function (r) { return r.json(); }).then(function (data) {
          version = data.v;
          if (data.unchanged) { return; }
          data.gifts.forEach(function (g) { show(g, false); });
          var done = document.getElementById("goal-done");  // "reached" once: when this page sees it become so
          goal(data.goal, Boolean(data.goal && data.goal.reached && done.hidden));
          if (data.live === false) { offline(); }
        }).catch(function () {});
      }, 500);
    }
  }

  function find() {
    fetch(root.dataset.stateUrl, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (state) { goal(state.goal, false); if (state.live) { listen(state); } else { setTimeout(find, 10000); } })
      .catch(function () { setTimeout(find, 10000); });
  }
  find();
})();
