/* Team: invite a teammate by email with a role. */
(function () {
  var form = document.getElementById("invite-form");
  var banner = document.getElementById("invite-banner");
  var button = document.getElementById("send-invite");
  App.takeFlash();
  button.addEventListener("click", function () {
    // The bug: the role used to be radio buttons; reading a checked radio that no longer exists throws.
    var role = visitLog.has("invite-throws") ? form.querySelector('input[name="role"]:checked').value : form.role.value;
    var email = form.email.value.trim();
    if (!email) {
      App.showBanner(banner, "error", "Enter the email address of the person to invite.");
      return;
    }
    button.disabled = true;
    button.textContent = "Sending…";
    App.api("POST", "/api/invites", { email: email, role: role }).then(function (result) {
      button.disabled = false;
      button.textContent = "Send invite";
      if (!result.ok) {
        App.showBanner(banner, "error", App.escapeText(result.data.error || "We couldn't send the invite."));
        return;
      }
      App.hideBanner(banner);
      var row = document.createElement("tr");
      row.innerHTML = "<td>" + App.escapeText(email) + "</td><td>" + App.escapeText(role) + " (invited)</td>";
      document.getElementById("members").appendChild(row);
      form.email.value = "";
      App.toast("Invite sent to " + email);
      App.track("invite_sent", { role: role });
    });
  });
})();
