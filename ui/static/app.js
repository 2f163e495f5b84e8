// dagdeck web UI: the rollback dialog, live Deploy History updates and
// relative times. Every page works without it, only less smoothly: the
// Deploy buttons are links to a page with the same plan and form.
(function () {
  "use strict";

  var FETCH_HEADERS = { "X-Requested-With": "dagdeck" };
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";
  var serverNow = Date.parse(document.body.getAttribute("data-now")) || Date.now();
  var loadedAt = Date.now();

  function toLogin() {
    location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
  }

  function announce(message) {
    var el = document.getElementById("announcer");
    if (el) el.textContent = message;
  }

  function flash(message, kind, html) {
    var slot = document.querySelector("[data-flash-slot]");
    if (!slot) return;
    var old = document.querySelector("[data-flash]");
    if (old) old.remove();
    var p = document.createElement("p");
    p.className = "flash flash-" + (kind || "ok");
    p.setAttribute("role", "status");
    p.textContent = message;
    if (html) p.appendChild(html);
    slot.replaceChildren(p);
  }

  // ---- Relative times, kept current (same rules as format.go) ----------

  function plural(n, noun) { return n === 1 ? "1 " + noun : n + " " + noun + "s"; }

  function relTime(d) {
    var future = d < 0, s = 1000, m = 60 * s, h = 60 * m, day = 24 * h, out;
    if (future) d = -d;
    if (d < 45 * s) return "just now";
    else if (d < 90 * s) out = "1 min";
    else if (d < 45 * m) out = Math.floor((d + 30 * s) / m) + " min";
    else if (d < 90 * m) out = "1 hour";
    else if (d < 22 * h) out = Math.floor((d + 30 * m) / h) + " hours";
    else if (d < 36 * h) out = "1 day";
    else if (d < 45 * day) out = Math.floor((d + 12 * h) / day) + " days";
    else if (d < 365 * day) out = plural(Math.floor(d / (30 * day)), "month");
    else out = plural(Math.floor(d / (365 * day)), "year");
    return future ? "in " + out : out + " ago";
  }

  function updateTimes() {
    var now = serverNow + (Date.now() - loadedAt);
    document.querySelectorAll("time[data-rel]").forEach(function (el) {
      var t = Date.parse(el.getAttribute("datetime"));
      if (!isNaN(t)) el.textContent = relTime(now - t);
    });
  }
  setInterval(updateTimes, 30000);

  // ---- Wide tables ------------------------------------------------------
  // A table wider than the screen scrolls; its sticky "Roll back to" column
  // then gets a shadow.

  function markOverflow() {
    document.querySelectorAll(".table-wrap").forEach(function (el) {
      el.classList.toggle("is-overflowing", el.scrollWidth > el.clientWidth + 1);
    });
  }
  window.addEventListener("resize", markOverflow);
  markOverflow();

  // ---- Live Deploy History ------------------------------------------------

  var live = document.getElementById("live");
  var dialog = document.getElementById("rollback-dialog");
  var events = null;
  var refreshing = null;
  var refreshAgain = false;
  var highlightID = null;

  function setLiveStatus() {
    var el = live && live.querySelector("[data-live-status]");
    if (el) el.hidden = !(events && events.readyState === EventSource.OPEN);
  }

  // refreshLive reloads what the Deployment runs and its Deploy History in
  // place, marks rows that were not there before and keeps the focus.
  function refreshLive(highlight) {
    if (highlight) highlightID = highlight;
    if (!live) return;
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = fetch(live.getAttribute("data-live-url"), { headers: FETCH_HEADERS, credentials: "same-origin" })
      .then(function (res) {
        if (res.status === 401) { toLogin(); return null; }
        return res.ok ? res.text() : null;
      })
      .then(function (html) { if (html !== null) replaceLive(html); })
      .catch(function () { /* the next event or reload will catch up */ })
      .finally(function () {
        refreshing = null;
        if (refreshAgain) {
          refreshAgain = false;
          refreshLive();
        }
      });
  }

  function replaceLive(html) {
    var known = {};
    live.querySelectorAll("tr[data-deploy-id]").forEach(function (tr) { known[tr.getAttribute("data-deploy-id")] = true; });
    var focus = focusKey();
    live.innerHTML = html;
    live.querySelectorAll("tr[data-deploy-id]").forEach(function (tr) {
      if (!known[tr.getAttribute("data-deploy-id")]) tr.classList.add("is-new");
    });
    setLiveStatus();
    markOverflow();
    var target = highlightID && live.querySelector('tr[data-deploy-id="' + highlightID + '"] a.seq');
    highlightID = null;
    if (target) target.focus();
    else restoreFocus(focus);
  }

  // focusKey remembers which control of which history row has the focus.
  function focusKey() {
    var el = document.activeElement;
    if (!live || !el || !live.contains(el)) return null;
    var row = el.closest("tr[data-deploy-id]");
    return row ? { id: row.getAttribute("data-deploy-id"), rollback: el.hasAttribute("data-rollback") } : null;
  }

  function restoreFocus(key) {
    if (!key) return;
    var row = live.querySelector('tr[data-deploy-id="' + key.id + '"]');
    var el = row && row.querySelector(key.rollback ? "[data-rollback]" : "a.seq");
    if (el) el.focus({ preventScroll: true });
  }

  function onDeployEvent(e) {
    var ev = JSON.parse(e.data);
    var what = "Deploy #" + ev.sequence + (ev.rollback ? " (a rollback)" : "") + " is now current.";
    if (live.hasAttribute("data-older-page")) {
      var a = document.createElement("a");
      a.href = location.pathname;
      a.className = "btn btn-small";
      a.textContent = "Show newest";
      flash(what, "info", a);
      return;
    }
    announce(what);
    refreshLive();
  }

  // Runs and tasks change without deploys: refresh every little while,
  // while the page is visible.
  if (live) {
    setInterval(function () {
      if (document.visibilityState === "visible" && !(dialog && dialog.open)) refreshLive();
    }, 15000);
  }

  if (live && window.EventSource) {
    var wasOpen = false;
    events = new EventSource(live.getAttribute("data-events-url"));
    events.addEventListener("open", function () {
      if (wasOpen) refreshLive(); // catch up on what happened while disconnected
      wasOpen = true;
      setLiveStatus();
    });
    events.addEventListener("error", setLiveStatus);
    events.addEventListener("deploy", onDeployEvent);
  }

  // ---- Rollback dialog ------------------------------------------------

  var dialogBody = dialog && dialog.querySelector("[data-dialog-body]");
  var opener = null;
  var openerID = null;
  var planURL = null;
  var planRequest = 0;

  document.addEventListener("click", function (e) {
    var copy = e.target.closest("[data-copy-from]");
    if (copy) {
      var field = document.getElementById(copy.getAttribute("data-copy-from"));
      if (field) {
        field.select();
        if (navigator.clipboard) navigator.clipboard.writeText(field.value).catch(function () {});
        copy.textContent = "Copied";
      }
      return;
    }
    var link = e.target.closest("a[data-rollback]");
    if (link && dialog && typeof dialog.showModal === "function") {
      e.preventDefault();
      openPlan(link);
      return;
    }
    var close = e.target.closest("[data-close]");
    if (close && dialog && dialog.contains(close)) {
      e.preventDefault();
      dialog.close();
    }
  });

  function openPlan(link) {
    opener = link;
    var row = link.closest("tr[data-deploy-id]");
    openerID = row ? row.getAttribute("data-deploy-id") : null;
    if (!dialog.open) dialog.showModal();
    // The body (not the close button) holds the focus while the plan loads,
    // so the rest of an Enter keystroke that opened the dialog does nothing.
    dialogBody.focus();
    loadPlan(link.href, null);
  }

  // loadPlan shows the plan of a dry run in the dialog; notice, if set, says
  // why it was loaded again.
  function loadPlan(url, notice) {
    var request = ++planRequest;
    planURL = url;
    dialog.setAttribute("aria-busy", "true");
    dialogBody.innerHTML = '<p class="loading" role="status">Loading the rollback plan…</p>';
    fetch(url, { headers: FETCH_HEADERS, credentials: "same-origin" })
      .then(function (res) {
        if (res.status === 401) { toLogin(); return null; }
        return res.text();
      })
      .then(function (html) {
        if (html === null || request !== planRequest || !dialog.open) return;
        dialogBody.innerHTML = html;
        dialog.removeAttribute("aria-busy");
        var form = dialogBody.querySelector("form[data-rollback-form]");
        if (form) wireForm(form);
        if (form && notice) showFormError(form, notice);
        var heading = dialogBody.querySelector("#rollback-title");
        if (heading) heading.focus();
      })
      .catch(function () {
        if (request !== planRequest) return;
        dialog.removeAttribute("aria-busy");
        dialogBody.innerHTML = '<h2 id="rollback-title" tabindex="-1">Cannot load the plan</h2><p class="flash flash-error" role="alert">The server did not answer. Check the connection and try again.</p>';
      });
  }

  if (dialog) {
    dialog.addEventListener("close", function () {
      // The event is queued: the dialog may have been opened again since.
      if (dialog.open) return;
      planRequest++;
      dialogBody.innerHTML = "";
      var target = opener;
      if (target && !target.isConnected && openerID) {
        target = document.querySelector('tr[data-deploy-id="' + openerID + '"] [data-rollback]');
      }
      if (target) target.focus();
      opener = openerID = null;
    });
  }

  function wireForm(form) {
    var button = form.querySelector("[data-confirm]");
    if (!button) return;
    var expected = form.getAttribute("data-deployment");
    var desc = form.elements.description;
    var name = form.elements.confirm_name;
    var check = form.elements.confirm_downgrade;
    var hint = form.querySelector("[data-confirm-hint]");

    function missing() {
      var out = [];
      if (check && !check.checked) out.push("tick the downgrade checkbox");
      if (desc.value.trim() === "") out.push("write a description");
      if (name.value.trim() !== expected) out.push("type " + expected);
      return out;
    }
    function update() {
      var m = missing();
      button.disabled = m.length > 0;
      if (hint) hint.textContent = m.length ? "To confirm: " + m.join(", ") + "." : "Ready.";
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (missing().length === 0 && !form.hasAttribute("data-busy")) submitRollback(form, button, update);
    });
  }

  function submitRollback(form, button, update) {
    var label = button.textContent;
    form.setAttribute("data-busy", "");
    button.disabled = true;
    button.textContent = "Rolling back…";
    hideFormError(form);
    var headers = { "X-Requested-With": "dagdeck", "X-CSRF-Token": csrf, "Accept": "application/json" };
    fetch(form.action, { method: "POST", headers: headers, body: new URLSearchParams(new FormData(form)), credentials: "same-origin" })
      .then(function (res) {
        return res.json().then(function (body) { return { status: res.status, body: body }; });
      })
      .then(function (r) {
        if (r.status === 401) return toLogin();
        if (r.status === 201) return rolledBack(r.body);
        form.removeAttribute("data-busy");
        button.textContent = label;
        if (r.body.code === "ECONFLICT") return loadPlan(planURL, r.body.message);
        showFormError(form, r.body.message || "The rollback failed.");
        update();
      })
      .catch(function () {
        form.removeAttribute("data-busy");
        button.textContent = label;
        showFormError(form, "The server did not answer. Check the Deploy History before trying again.");
        update();
      });
  }

  function rolledBack(result) {
    opener = openerID = null;
    dialog.close();
    if (!live) {
      location.href = result.url;
      return;
    }
    flash(result.message);
    announce(result.message);
    refreshLive(result.deploy.id);
  }

  function showFormError(form, message) {
    var el = form.querySelector("[data-form-error]");
    if (!el) return;
    el.textContent = message;
    el.hidden = false;
  }

  function hideFormError(form) {
    var el = form.querySelector("[data-form-error]");
    if (el) el.hidden = true;
    var server = form.querySelector("[data-server-error]");
    if (server) server.remove();
  }

  // ---- A running try's log, followed until it ends ---------------------

  var taskLog = document.querySelector("#task-log[data-follow]");
  if (taskLog) followLog(taskLog);

  function followLog(pre) {
    var offset = parseInt(pre.getAttribute("data-offset"), 10) || 0;
    var state = document.querySelector("[data-task-state]");
    var status = document.querySelector("[data-follow-status]");
    function poll() {
      fetch(location.pathname + "?offset=" + offset, { headers: FETCH_HEADERS, credentials: "same-origin" })
        .then(function (res) {
          if (res.status === 401) { toLogin(); throw new Error("logged out"); }
          return res.json();
        })
        .then(function (data) {
          var atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
          if (data.chunk) pre.appendChild(document.createTextNode(data.chunk));
          if (atBottom) pre.scrollTop = pre.scrollHeight;
          offset = data.offset;
          if (state) state.textContent = data.state;
          if (data.ended) {
            if (status) status.textContent = "Ended: " + data.state;
            announce("The try ended: " + data.state);
            return;
          }
          setTimeout(poll, 1000);
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    setTimeout(poll, 1000);
  }
})();
