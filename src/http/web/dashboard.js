// Live pages (docs/dashboard.md#live-updates): the part of a page marked data-live is fetched
// again every few seconds and replaced when it changed; no reload, no framework. Compiled into
// maintd (cmake/MaintdEmbed.cmake) and served as /assets/dashboard.js.
//
// Polling, not a stream: the page asks the server for its own URL with `X-Maintd-Live: 1` and
// gets that part alone, with an ETag; an unchanged part is a 304 and touches nothing. A failed
// request shows that the connection is lost and retries, more slowly each time, until it answers.
(function () {
  "use strict";
  var region = document.querySelector("[data-live]");
  if (!region) return;
  var status = document.getElementById("live-status");
  var banner = document.getElementById("connection-lost");
  var interval = Number(region.getAttribute("data-live")) || 5000;
  var etag = region.getAttribute("data-etag");
  var failures = 0;
  var timer = null;

  function clock(date) {
    return date.toTimeString().slice(0, 8);
  }

  function shown(ok, text) {
    if (status) {
      status.className = "live-status " + (ok ? "live" : "lost");
      status.textContent = text;
    }
    if (banner) {
      banner.className = "connection-lost" + (ok ? "" : " shown");
      if (!ok) banner.textContent = text;
    }
    document.body.setAttribute("data-connection", ok ? "live" : "lost");
  }

  // What the reader opened (a run's events) stays open across a replacement.
  function openDetails() {
    var open = [];
    region.querySelectorAll("details[open][data-key]").forEach(function (d) {
      open.push(d.getAttribute("data-key"));
    });
    return open;
  }

  function replace(html) {
    var open = openDetails();
    region.innerHTML = html;
    open.forEach(function (key) {
      var d = region.querySelector('details[data-key="' + CSS.escape(key) + '"]');
      if (d) d.open = true;
    });
    document.dispatchEvent(new CustomEvent("maintd:updated"));
  }

  function schedule() {
    clearTimeout(timer);
    // Back off while the server does not answer: 5 s, 10 s, 20 s, at most 30 s.
    var wait = failures ? Math.min(interval * Math.pow(2, failures - 1), 30000) : interval;
    timer = setTimeout(poll, wait);
  }

  function poll() {
    if (document.hidden) return schedule();  // a hidden tab asks nothing; see visibilitychange
    var headers = { "X-Maintd-Live": "1" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(location.pathname + location.search,
          { headers: headers, cache: "no-store", credentials: "same-origin", redirect: "error" })
      .then(function (response) {
        if (response.status === 304) return null;
        if (response.status === 401) throw new Error("your session has ended: log in again");
        if (!response.ok) throw new Error("the server answered " + response.status);
        etag = response.headers.get("ETag");
        return response.text();
      })
      .then(function (html) {
        if (html !== null) replace(html);
        failures = 0;
        shown(true, "live · updated " + clock(new Date()));
      })
      .catch(function (error) {
        failures += 1;
        var reason = error && error.message && error.message.indexOf("session") >= 0
          ? error.message : "connection lost";
        shown(false, reason + " · retrying (since " + clock(new Date()) + ")");
      })
      .then(schedule);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) poll();
  });
  shown(true, "live · updated " + clock(new Date()));
  schedule();
})();
