/*
 * What every page script of a demo app needs, whatever the product: the page's data, JSON API
 * calls, error reporting and custom events through posthog-js, banners, spinners, toasts and the
 * floating button of a third-party-style widget. Each app's
 * shared script (`shop.js`, `app.js`) adds its own widgets and exposes these with them.
 */
(function () {
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

  var toastTimer = null;
  /**
   * A status message at the bottom of the page for a while. options: `kind` (adds `toast-<kind>`),
   * `html` (content is markup, not text), `durationMs` (default 4000).
   */
  function toast(content, options) {
    var settings = options || {};
    var node = document.getElementById("toast");
    if (!node) {
      node = document.createElement("div");
      node.id = "toast";
      node.setAttribute("role", "status");
      document.body.appendChild(node);
    }
    node.className = "toast visible" + (settings.kind ? " toast-" + settings.kind : "");
    if (settings.html) node.innerHTML = content;
    else node.textContent = content;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () {
      node.classList.remove("visible");
    }, settings.durationMs || 4000);
  }

  /**
   * The floating button of a vendor's widget (chat, help) with the panel it opens and closes.
   * spec: id, buttonClass, panelClass, label (aria-label), text (the button's), panelHtml.
   */
  function floatingWidget(spec) {
    var button = document.createElement("button");
    button.type = "button";
    button.id = spec.id;
    button.className = spec.buttonClass;
    button.textContent = spec.text;
    button.setAttribute("aria-label", spec.label);
    var panel = document.createElement("div");
    panel.className = spec.panelClass;
    panel.hidden = true;
    panel.innerHTML = spec.panelHtml;
    button.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
    });
    document.body.appendChild(panel);
    document.body.appendChild(button);
    return { button: button, panel: panel };
  }

  window.PageHelpers = {
    pageData: pageData,
    api: api,
    ApiError: ApiError,
    reportError: reportError,
    track: track,
    showBanner: showBanner,
    hideBanner: hideBanner,
    spinner: spinner,
    toast: toast,
    floatingWidget: floatingWidget,
  };
})();
