/* Billing: usage meter, plan comparison, plan change. */
(function () {
  var usage = document.getElementById("usage");
  App.takeFlash();
  App.api("GET", "/api/billing/usage").then(function (result) {
    if (!result.ok) {
      // The meter simply stays hidden.
      visitLog.mark("api-failure", { path: "/api/billing/usage", status: result.status });
      App.reportError(App.ApiError("GET", "/api/billing/usage", result.status, result.data.error));
      return;
    }
    var percent = Math.round((100 * result.data.sent) / result.data.limit);
    usage.innerHTML =
      '<div class="meter"><span class="meter-fill" style="width:' +
      percent +
      '%"></span></div><p>' +
      result.data.sent.toLocaleString("en-US") +
      " of " +
      result.data.limit.toLocaleString("en-US") +
      " emails</p>";
    usage.hidden = false;
  });
  if (!visitLog.has("compare-plans-dead")) {
    document.getElementById("compare-plans").addEventListener("click", function () {
      var table = document.getElementById("compare-table");
      table.hidden = !table.hidden;
    });
  }
  var button = document.getElementById("update-plan");
  button.addEventListener("click", function () {
    var plan = document.querySelector('input[name="plan"]:checked').value;
    button.disabled = true;
    button.textContent = "Updating…";
    App.api("POST", "/api/billing/plan", { plan: plan }).then(function (result) {
      button.disabled = false;
      button.textContent = "Update plan";
      if (!result.ok) {
        App.toast("Couldn't change your plan.", "error");
        App.reportError(App.ApiError("POST", "/api/billing/plan", result.status, result.data.error));
        return;
      }
      App.toast("You're on the " + plan + " plan now.");
      App.track("plan_changed", { plan: plan });
    });
  });
})();
