/*
 * Runs first on every page, before analytics: moves this visit's issue list from the URL into
 * sessionStorage and a session cookie (the API reads it there), gives the visit its own workspace
 * cookie, cleans the address bar so no event or recording names the issues, and keeps a log of when
 * things happened by the browser clock (`window.visitLog`, read by the scripted-users generator).
 */
(function () {
  var ISSUES_KEY = "pb:issues";
  var MARKS_KEY = "pb:marks";
  var params = new URLSearchParams(location.search);
  if (params.has("issues")) {
    var list = params.get("issues") || "";
    sessionStorage.setItem(ISSUES_KEY, list);
    document.cookie = "pb_issues=" + encodeURIComponent(list) + "; path=/; SameSite=Lax";
    params.delete("issues");
    var query = params.toString();
    history.replaceState(history.state, "", location.pathname + (query ? "?" + query : "") + location.hash);
  }
  if (!sessionStorage.getItem("pb:visit")) {
    var visit = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    sessionStorage.setItem("pb:visit", visit);
    document.cookie = "pb_visit=" + visit + "; path=/; SameSite=Lax";
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

  window.Postbird = {
    issues: issues,
    has: function (name) {
      return issues.indexOf(name) >= 0;
    },
    mark: mark,
    marks: readMarks,
  };
  window.visitLog = window.Postbird;

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
