/* Preview: the email as readers will see it, rendered by the server. */
(function () {
  var id = App.pageData().id;
  var preview = document.getElementById("preview");
  var started = Date.now();
  preview.innerHTML = App.spinner("Rendering preview…");
  var slowNotice = setTimeout(function () {
    var text = preview.querySelector(".spinner-text");
    if (text) text.textContent = "This is taking longer than usual…";
  }, 5000);
  document.querySelectorAll('input[name="device"]').forEach(function (input) {
    input.addEventListener("change", function () {
      preview.classList.toggle("mobile", input.value === "mobile" && input.checked);
    });
  });
  App.api("GET", "/api/campaigns/" + id + "/preview").then(function (result) {
    clearTimeout(slowNotice);
    if (!result.ok) {
      preview.innerHTML = '<p class="banner banner-error">We couldn\'t render the preview.</p>';
      App.reportError(App.ApiError("GET", "/api/campaigns/:id/preview", result.status, result.data.error));
      return;
    }
    var d = result.data;
    preview.innerHTML =
      '<div class="email"><div class="email-head"><strong>' +
      App.escapeText(d.from) +
      "</strong><br>" +
      App.escapeText(d.subject) +
      ' <span class="muted">— ' +
      App.escapeText(d.preheader) +
      '</span></div><div class="email-body">' +
      App.escapeText(d.body.replace(/\{first_name\}/g, "Alex")).replace(/\n/g, "<br>") +
      "</div></div>";
    visitLog.mark("content-ready", { view: "preview" });
    App.track("campaign_previewed", { campaign_id: id, load_ms: Date.now() - started });
  });
})();
