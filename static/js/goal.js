// The gift goal's bar (templates/gifts/_goal.html), shared by the live room and the alerts overlay:
// coinshopGoal(state) shows a goal's state (or hides the bar for none).
window.coinshopGoal = function (state) {
  "use strict";
  var box = document.getElementById("goal");
  if (!box) { return; }
  if (!state) { box.hidden = true; return; }
  box.hidden = false;
  document.getElementById("goal-title").textContent = state.title;
  var bar = document.getElementById("goal-bar");
  bar.max = state.target; bar.value = Math.min(state.current, state.target);
  document.getElementById("goal-current").textContent = Number(state.current).toLocaleString("en-US");
  document.getElementById("goal-target").textContent = Number(state.target).toLocaleString("en-US");
  document.getElementById("goal-unit").textContent = state.unit;
  document.getElementById("goal-done").hidden = !state.reached;
};
