/* Shared by every page: API calls, error reporting, events, toasts, banners, the flash message, and two third-party-style widgets. */
(function () {
  var Postbird = window.Postbird;
  var FLASH_KEY = "pb:flash";

  function pageData() {
    var node = document.getElementById("page-data");
    return node ? JSON.parse(node.textContent || "{}") : {};
  }

  function ApiError(method, path, status, detail) {
    var error = new Error(method + " " + path + " failed with " + status + (detail ? ": " + detail : ""));
    error.name = "ApiError";
    error.status = status;
    return error;
  }

  /** fetch with JSON in and out; resolves to {ok, status, data} and never rejects on HTTP errors. */
  function api(method, path, body) {
    var init = { method: method, headers: { accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          return { ok: response.ok, status: response.status, data: data };
        });
    });
  }

  /** What an error-tracking integration does: report handled errors with a little context. */
  function reportError(error, context) {
    if (window.posthog && window.posthog.captureException) window.posthog.captureException(error, context || {});
    if (window.console) console.error(error);
  }

  function track(event, properties) {
    if (window.posthog) window.posthog.capture(event, properties || {});
  }

  var toastTimer = null;
  function toast(text, kind) {
    var node = document.getElementById("toast");
    if (!node) {
      node = document.createElement("div");
      node.id = "toast";
      node.setAttribute("role", "status");
      document.body.appendChild(node);
    }
    node.className = "toast visible" + (kind ? " toast-" + kind : "");
    node.textContent = text;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () {
      node.classList.remove("visible");
    }, 4000);
  }

  function showBanner(node, kind, html) {
    node.className = "banner banner-" + kind;
    node.innerHTML = html;
    node.hidden = false;
  }

  function hideBanner(node) {
    node.hidden = true;
    node.innerHTML = "";
  }

  function spinner(text) {
    return '<div class="spinner-wrap"><span class="spinner" aria-hidden="true"></span><span class="spinner-text">' + text + "</span></div>";
  }

  function escapeText(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  /**
   * A success to announce on the next page: the goal's event is sent there, after the navigation,
   * so a flush lost to the page change cannot lose it.
   */
  function setFlash(message, event, properties) {
    sessionStorage.setItem(FLASH_KEY, JSON.stringify({ message: message, event: event, properties: properties || {} }));
  }

  function takeFlash() {
    var raw = sessionStorage.getItem(FLASH_KEY);
    if (!raw) return null;
    sessionStorage.removeItem(FLASH_KEY);
    try {
      var flash = JSON.parse(raw);
      if (flash.event) track(flash.event, flash.properties);
      return flash;
    } catch (e) {
      return null;
    }
  }

  // Help beacon: a vendor's support widget that boots after the page settles.
  function initHelpBeacon() {
    var button = document.createElement("button");
    button.type = "button";
    button.id = "help-beacon";
    button.className = "help-beacon";
    button.textContent = "?";
    button.setAttribute("aria-label", "Help");
    var panel = document.createElement("div");
    panel.className = "help-panel";
    panel.hidden = true;
    panel.innerHTML = "<strong>Need a hand?</strong><p>Search our guides or write to support@postbird.example.</p>";
    button.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
    });
    document.body.appendChild(panel);
    document.body.appendChild(button);
    setTimeout(function () {
      var config = { placement: { corner: "bottom-right" } };
      if (Postbird.has("help-beacon-crash")) {
        Postbird.mark("widget-error", { widget: "help-beacon" });
        // The bug: the vendor renamed `placement` to `position` in its config; this throws on every page.
        button.dataset.corner = config.position.corner;
      }
      button.dataset.corner = config.placement.corner;
    }, 900);
  }

  // "What's new": a changelog widget that reads a feed and puts a dot on the logo when there is news.
  function initWhatsNew() {
    new Promise(function (resolve) {
      setTimeout(function () {
        resolve({ entries: [{ title: "Scheduling by time zone" }] });
      }, 1400);
    }).then(function (feed) {
      if (Postbird.has("whats-new-crash")) Postbird.mark("widget-error", { widget: "whats-new" });
      // The bug: the feed's `items` became `entries`; this rejects unhandled.
      var latest = Postbird.has("whats-new-crash") ? feed.items[0].title : feed.entries[0].title;
      var logo = document.querySelector(".logo");
      if (logo) logo.title = "New: " + latest;
    });
  }

  window.App = {
    pageData: pageData,
    api: api,
    ApiError: ApiError,
    reportError: reportError,
    track: track,
    toast: toast,
    showBanner: showBanner,
    hideBanner: hideBanner,
    spinner: spinner,
    escapeText: escapeText,
    setFlash: setFlash,
    takeFlash: takeFlash,
  };

  initHelpBeacon();
  initWhatsNew();
})();
