// Videos: the upload form says what is happening; a video page that is processing checks its status and reloads
// once the video is ready or failed; after a gift the page's gift total is refreshed.
(function () {
  "use strict";
  var form = document.getElementById("video-upload-form");
  if (form) {
    form.addEventListener("submit", function () {
      document.getElementById("upload-video").disabled = true;
      document.getElementById("upload-progress").textContent = "Uploading and checking your video…";
    });
  }

  var video = document.getElementById("video");
  if (video && video.dataset.statusUrl) {
    var delay = 1500;
    var poll = function () {
      fetch(video.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (state) {
          if (state.status !== "processing") { window.location.reload(); return; }
          setTimeout(poll, delay);
        })
        .catch(function () { delay = Math.min(delay * 2, 15000); setTimeout(poll, delay); });
    };
    setTimeout(poll, delay);
  }

  document.addEventListener("coinshop:gift-sent", function () {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["video-gift-total", "video-board"].forEach(function (id) {
          var mine = document.getElementById(id), theirs = fresh.getElementById(id);
          if (mine && theirs) { mine.innerHTML = theirs.innerHTML; }
        });
      });
  });
})();
