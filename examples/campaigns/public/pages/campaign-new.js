/* New campaign: a name, a subject and an audience make a draft, then the editor. */
(function () {
  var form = document.getElementById("new-form");
  var banner = document.getElementById("new-banner");
  var button = document.getElementById("create-draft");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (form.name.value.trim() === "") {
      App.showBanner(banner, "error", "Give your campaign a name.");
      return;
    }
    button.disabled = true;
    button.textContent = "Creating…";
    App.api("POST", "/api/campaigns", { name: form.name.value, subject: form.subject.value, audience: form.audience.value }).then(function (result) {
      if (!result.ok) {
        button.disabled = false;
        button.textContent = "Create draft";
        App.showBanner(banner, "error", "We couldn't create the draft. Please try again.");
        App.reportError(App.ApiError("POST", "/api/campaigns", result.status, result.data.error));
        return;
      }
      App.setFlash(null, "campaign_created", { audience: form.audience.value });
      location.href = "/campaigns/" + result.data.id;
    });
  });
})();
