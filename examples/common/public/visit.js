/*
 * Runs first on every page of a demo app, before analytics: moves this visit's issue list from the
 * URL into sessionStorage and a session cookie (the API reads it there), gives the visit its own id
 * cookie when the app asks for one (an app that keeps data per visit), cleans the address bar so no
 * event or recording names the issues, and keeps a log of when things happened by the browser clock
 * (`window.visitLog`, read by the scripted-users generator and by the app's own scripts).
 *
 * Configured by its script element (see `examples/common/pages.ts`):
 *   data-storage-prefix  sessionStorage key prefix, e.g. "fh"
 *   data-issues-cookie   cookie the API reads the issue list from
 *   data-visit-cookie    optional: cookie holding a per-visit id
 */
(function () {
  var config = (document.currentScript && document.currentScript.dataset) || {};
  var prefix = config.storagePrefix || "demo";
  var ISSUES_KEY = prefix + ":issues";
  var MARKS_KEY = prefix + ":marks";
  var VISIT_KEY = prefix + ":visit";
  var params = new URLSearchParams(location.search);
  if (params.has("issues")) {
    var list = params.get("issues") || "";
    sessionStorage.setItem(ISSUES_KEY, list);
    document.cookie = (config.issuesCookie || prefix + "_issues") + "=" + encodeURIComponent(list) + "; path=/; SameSite=Lax";
    params.delete("issues");
    var query = params.toString();
    history.replaceState(history.state, "", location.pathname + (query ? "?" + query : "") + location.hash);
  }
  if (config.visitCookie && !sessionStorage.getItem(VISIT_KEY)) {
    var visit = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    sessionStorage.setItem(VISIT_KEY, visit);
    document.cookie = config.visitCookie + "=" + visit + "; path=/; SameSite=Lax";
  }
  var issues = (sessionStorage.getItem(ISSUES_KEY) || "").split(",").filter(Boolean);

  function readMarks() {
    try {
      return JSON.parse(sessionStorage.getItem(MARKS_KEY) || "[]");
    } catch {
      return [];
    }
  }

  function mark(type, detail) {
    var marks = readMarks();
    var entry = { seq: marks.length + 1, type: type, t: Date.now(), path: location.pathname, detail: detail || {} };
    marks.push(entry);
    sessionStorage.setItem(MARKS_KEY, JSON.stringify(marks));
    return entry;
  }

  function describe(node) {
    var el = node && node.nodeType === 1 ? node : node && node.parentElement;
    if (!el) return "";
    var text = (el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 40);
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (text ? ' "' + text + '"' : "");
  }

  window.visitLog = {
    issues: issues,
    has: function (name) {
      return issues.indexOf(name) >= 0;
    },
    mark: mark,
    marks: readMarks,
  };

  mark("page", { url: location.pathname + location.search });
  // Capture phase: the time is taken in the same dispatch in which posthog-js autocaptures the click.
  // A click on a label also clicks its input: only the one the person made is logged.
  document.addEventListener(
    "click",
    function (event) {
      if (event.detail === 0 && event.target && event.target.tagName === "INPUT") return;
      mark("click", { target: describe(event.target) });
    },
    true,
  );
  document.addEventListener(
    "submit",
    function (event) {
      mark("submit", { target: describe(event.target) });
    },
    true,
  );
})();
