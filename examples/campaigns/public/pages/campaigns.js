/* Campaign list: filters, the rows, and a background poll that keeps the open and click counts fresh. */
(function () {
  var rows = document.getElementById("campaign-rows");
  var banner = document.getElementById("list-banner");
  var statusFilter = document.getElementById("status-filter");
  var search = document.getElementById("campaign-search");
  var onlyMine = document.getElementById("only-mine");
  var flashNode = document.getElementById("flash");
  var POLL_MS = 6000;
  var searchTimer = null;

  var flash = App.takeFlash();
  if (flash && flash.message) App.showBanner(flashNode, "success", App.escapeText(flash.message));

  function when(c) {
    if (!c.when) return "—";
    return c.when.replace("T", " ");
  }

  function render(campaigns) {
    rows.innerHTML = campaigns.length
      ? campaigns
          .map(function (c) {
            return (
              '<tr data-id="' +
              c.id +
              '"><td><a class="row-link" href="/campaigns/' +
              c.id +
              '">' +
              App.escapeText(c.name) +
              '</a><div class="muted small">' +
              App.escapeText(c.subject) +
              '</div></td><td><span class="status status-' +
              c.status +
              '">' +
              c.status +
              "</span></td><td>" +
              App.escapeText(c.audience) +
              "</td><td>" +
              when(c) +
              '</td><td class="opens">—</td><td class="clicks">—</td></tr>'
            );
          })
          .join("")
      : '<tr><td colspan="6" class="muted">No campaigns match these filters.</td></tr>';
  }

  function load() {
    var params = new URLSearchParams({ status: statusFilter.value, q: search.value, mine: onlyMine.checked ? "1" : "0" });
    var path = "/api/campaigns?" + params.toString();
    App.hideBanner(banner);
    rows.innerHTML = '<tr><td colspan="6">' + App.spinner("Loading campaigns…") + "</td></tr>";
    App.api("GET", path).then(function (result) {
      if (!result.ok) {
        visitLog.mark("api-failure", { path: "/api/campaigns", status: result.status });
        rows.innerHTML = "";
        App.showBanner(banner, "error", '<strong>We couldn\'t load your campaigns.</strong> Please try again. <button type="button" class="btn btn-small" id="list-retry">Retry</button>');
        document.getElementById("list-retry").addEventListener("click", load);
        App.reportError(App.ApiError("GET", "/api/campaigns", result.status, result.data.error), { status_filter: statusFilter.value });
        return;
      }
      render(result.data.campaigns);
      visitLog.mark("content-ready", { list: "campaigns" });
      App.track("campaign_list_viewed", { status: statusFilter.value, results: result.data.campaigns.length, searched: search.value !== "" });
      refreshStats();
    });
  }

  function refreshStats() {
    App.api("GET", "/api/campaigns/stats").then(function (result) {
      if (!result.ok) {
        // Nobody sees this: the counts keep their last values.
        visitLog.mark("api-failure", { path: "/api/campaigns/stats", status: result.status });
        App.reportError(App.ApiError("GET", "/api/campaigns/stats", result.status, result.data.error));
        return;
      }
      Object.keys(result.data.stats).forEach(function (id) {
        var row = rows.querySelector('tr[data-id="' + id + '"]');
        var s = result.data.stats[id];
        if (!row || !s.recipients) return;
        var opens = Math.round((100 * s.opens) / s.recipients) + "%";
        var clicks = Math.round((100 * s.clicks) / s.recipients) + "%";
        if (row.querySelector(".opens").textContent !== opens) row.querySelector(".opens").textContent = opens;
        if (row.querySelector(".clicks").textContent !== clicks) row.querySelector(".clicks").textContent = clicks;
      });
    });
  }

  statusFilter.addEventListener("change", load);
  onlyMine.addEventListener("change", load);
  search.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(load, 400);
  });
  setInterval(refreshStats, POLL_MS);
  load();
})();
