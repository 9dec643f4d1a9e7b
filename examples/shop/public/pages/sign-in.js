/* Sign-in: the API answers with the user or an error message. */
(function () {
  var next = Shop.pageData().next || "/";
  var form = document.getElementById("sign-in-form");
  var banner = document.getElementById("sign-in-banner");
  var submit = document.getElementById("sign-in-submit");

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit.disabled = true;
    submit.textContent = "Signing in…";
    Shop.api("POST", "/api/sign-in", { email: form.email.value.trim(), password: form.password.value }).then(function (result) {
      submit.disabled = false;
      submit.textContent = "Sign in";
      if (!result.ok) {
        Shop.showBanner(banner, "error", result.data.error || "Sign-in failed.");
        Shop.track("sign in failed", { status: result.status });
        return;
      }
      Shop.setUser({ email: result.data.email, name: result.data.name });
      if (window.posthog) window.posthog.identify(result.data.email, { email: result.data.email, name: result.data.name });
      location.href = next;
    });
  });
})();
