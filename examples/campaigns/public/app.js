/*
 * Shared by every page of Postbird: toasts, the flash message, and two third-party-style widgets;
 * with the helpers every demo app has (`/common/page-helpers.js`), as `window.App`.
 */
(function () {
  var visitLog = window.visitLog;
  var helpers = window.PageHelpers;
  var FLASH_KEY = "pb:flash";

  function toast(text, kind) {
    helpers.toast(text, { kind: kind });
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
      if (flash.event) helpers.track(flash.event, flash.properties);
      return flash;
    } catch {
      return null;
    }
  }

  // Help beacon: a vendor's support widget that boots after the page settles.
  function initHelpBeacon() {
    var button = helpers.floatingWidget({
      id: "help-beacon",
      buttonClass: "help-beacon",
      panelClass: "help-panel",
      label: "Help",
      text: "?",
      panelHtml: "<strong>Need a hand?</strong><p>Search our guides or write to support@postbird.example.</p>",
    }).button;
    setTimeout(function () {
      var config = { placement: { corner: "bottom-right" } };
      if (visitLog.has("help-beacon-crash")) {
        visitLog.mark("widget-error", { widget: "help-beacon" });
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
      if (visitLog.has("whats-new-crash")) visitLog.mark("widget-error", { widget: "whats-new" });
      // The bug: the feed's `items` became `entries`; this rejects unhandled.
      var latest = visitLog.has("whats-new-crash") ? feed.items[0].title : feed.entries[0].title;
      var logo = document.querySelector(".logo");
      if (logo) logo.title = "New: " + latest;
    });
  }

  // The helpers every demo app has, with the ones of this app.
  window.App = Object.assign({}, helpers, {
    toast: toast,
    escapeText: escapeText,
    setFlash: setFlash,
    takeFlash: takeFlash,
  });

  initHelpBeacon();
  initWhatsNew();
})();
