/* The onboarding wizard: three steps, each with its required answers, then the campaign list. */
(function () {
  var data = App.pageData();
  var form = document.getElementById("wizard-form");
  var banner = document.getElementById("wizard-banner");
  var button = document.getElementById("wizard-continue");
  App.takeFlash();
  App.track("onboarding_step_viewed", { step: data.step });

  function missing() {
    if (data.step === "profile") return form.querySelector('input[name="role"]:checked') ? [] : ["role"];
    if (data.step === "audience") return form.querySelector('input[name="contacts"]:checked') ? [] : ["contacts"];
    return ["senderName", "senderEmail"].filter(function (name) {
      return form[name].value.trim() === "";
    });
  }

  button.addEventListener("click", function () {
    var gaps = missing();
    if (gaps.length > 0) {
      // The only message is this generic one at the top; the field itself is marked where it is.
      App.showBanner(banner, "error", "Please complete all required fields.");
      var contacts = document.getElementById("contacts-fieldset");
      if (contacts && gaps.indexOf("contacts") >= 0) {
        contacts.classList.add("invalid");
        document.getElementById("contacts-error").hidden = false;
      }
      App.track("onboarding_validation_failed", { step: data.step, missing: gaps.length });
      return;
    }
    if (data.next) {
      location.href = data.next;
      return;
    }
    button.disabled = true;
    button.textContent = "Setting up…";
    App.api("POST", "/api/onboarding", { senderName: form.senderName.value, senderEmail: form.senderEmail.value }).then(function () {
      App.setFlash("You're all set. Create your first campaign when you're ready.", "onboarding_completed", {});
      location.href = "/campaigns";
    });
  });
})();
