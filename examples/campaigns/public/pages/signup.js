/* Sign-up: creates the account, then the onboarding wizard. */
(function () {
  var form = document.getElementById("signup-form");
  var banner = document.getElementById("signup-banner");
  var submit = document.getElementById("signup-submit");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!document.getElementById("signup-terms").checked) {
      App.showBanner(banner, "error", "Please accept the terms of service to continue.");
      return;
    }
    submit.disabled = true;
    submit.textContent = "Creating your account…";
    App.api("POST", "/api/signup", { name: form.name.value, email: form.email.value, company: form.company.value, password: form.password.value }).then(function (result) {
      if (!result.ok) {
        submit.disabled = false;
        submit.textContent = "Create account";
        App.showBanner(banner, "error", App.escapeText(result.data.error || "We couldn't create your account."));
        return;
      }
      App.setFlash(null, "signed_up", { company: form.company.value ? "given" : "none" });
      location.href = "/onboarding/profile";
    });
  });
})();
