/* Reports: opens and clicks per sent campaign, as bars. */
(function () {
  var report = document.getElementById("report");
  report.innerHTML = App.spinner("Loading engagement…");
  setTimeout(function () {
    var text = report.querySelector(".spinner-text");
    if (text) text.textContent = "Still loading…";
  }, 8000);
  App.api("GET", "/api/reports/engagement").then(function (result) {
    if (!result.ok) {
      report.innerHTML = '<p class="banner banner-error">We couldn\'t load the report.</p>';
      App.reportError(App.ApiError("GET", "/api/reports/engagement", result.status, result.data.error));
      return;
    }
    report.innerHTML = result.data.campaigns
      .map(function (c) {
        var opens = c.recipients ? Math.round((100 * c.opens) / c.recipients) : 0;
        var clicks = c.recipients ? Math.round((100 * c.clicks) / c.recipients) : 0;
        return (
          '<div class="bar-row"><span class="bar-label">' +
          App.escapeText(c.name) +
          '</span><span class="bar"><span class="bar-fill" style="width:' +
          opens +
          '%"></span></span><span>' +
          opens +
          "% opened · " +
          clicks +
          "% clicked</span></div>"
        );
      })
      .join("");
    visitLog.mark("content-ready", { view: "report" });
    App.track("report_viewed", { campaigns: result.data.campaigns.length });
  });
})();
