/*
 * Runs first on every page, before analytics: moves this visit's issue list from the URL into
 * sessionStorage and a session cookie (the API reads it there), cleans the address bar so no event
 * or recording names the issues, and keeps a log of when things happened by the browser clock
 * (the scripted-users generator reads it to time its labels).
 */
(function () {
  var ISSUES_KEY = "fh:issues";
  var MARKS_KEY = "fh:marks";
  var params = new URLSearchParams(location.search);
  if (params.has("issues")) {
    var list = params.get("issues") || "";
    sessionStorage.setItem(ISSUES_KEY, list);
    document.cookie = "fh_issues=" + encodeURIComponent(list) + "; path=/; SameSite=Lax";
    params.delete("issues");
    var query = params.toString();
    history.replaceState(history.state, "", location.pathname + (query ? "?" + query : "") + location.hash);
  }
  var issues = (sessionStorage.getItem(ISSUES_KEY) || "").split(",").filter(Boolean);

  function readMarks() {
    try {
      return JSON.parse(sessionStorage.getItem(MARKS_KEY) || "[]");
    } catch (e) {
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

  window.Fernhill = {
    issues: issues,
    has: function (name) {
      return issues.indexOf(name) >= 0;
    },
    mark: mark,
    marks: readMarks,
  };
  // The generator reads every demo app's log under this name.
  window.visitLog = window.Fernhill;

  mark("page", { url: location.pathname + location.search });
  // Capture phase: the time is taken in the same dispatch in which posthog-js autocaptures the click.
  document.addEventListener(
    "click",
    function (event) {
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
