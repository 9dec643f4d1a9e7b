/* Campaign editor: subject, message, templates, save, and delivery (send now with a confirmation, or schedule). */
(function () {
  var campaign = App.pageData().campaign;
  var form = document.getElementById("editor-form");
  var saveButton = document.getElementById("save-campaign");
  var sendButton = document.getElementById("send-campaign");
  var scheduleFields = document.getElementById("schedule-fields");
  var dateInput = document.getElementById("schedule-date");
  var dateError = document.getElementById("date-error");
  var modal = document.getElementById("confirm-send");
  var MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
  App.takeFlash();
  App.track("campaign_opened", { campaign_id: campaign.id });

  // Templates: the toolbar's "Templates ▾" opens a panel of starting points.
  var templatesPanel = document.getElementById("templates-panel");
  if (!visitLog.has("templates-label-dead")) {
    document.getElementById("templates-toggle").addEventListener("click", function () {
      templatesPanel.hidden = !templatesPanel.hidden;
    });
  }
  templatesPanel.addEventListener("click", function (event) {
    var template = event.target.getAttribute("data-template");
    if (!template) return;
    form.body.value = "Hi {first_name},\n\n[" + template + "]\n\n" + form.body.value.replace(/^Hi \{first_name\},\n\n/, "");
    templatesPanel.hidden = true;
    App.track("template_applied", { template: template });
  });

  saveButton.addEventListener("click", function () {
    saveButton.disabled = true;
    saveButton.textContent = "Saving…";
    App.api("PUT", "/api/campaigns/" + campaign.id, { subject: form.subject.value, preheader: form.preheader.value, body: form.body.value }).then(function (result) {
      saveButton.disabled = false;
      saveButton.textContent = "Save changes";
      if (!result.ok) {
        visitLog.mark("api-failure", { path: "/api/campaigns/:id", status: result.status });
        App.toast("Couldn't save your changes. Please try again.", "error");
        App.reportError(App.ApiError("PUT", "/api/campaigns/" + campaign.id, result.status, result.data.error));
        return;
      }
      App.toast("Changes saved");
      App.track("campaign_saved", { campaign_id: campaign.id });
    });
  });

  function delivery() {
    return document.querySelector('input[name="delivery"]:checked').value;
  }

  document.querySelectorAll('input[name="delivery"]').forEach(function (input) {
    input.addEventListener("change", function () {
      var later = delivery() === "later";
      scheduleFields.hidden = !later;
      sendButton.textContent = later ? "Schedule campaign" : "Send campaign";
    });
  });

  /** "2026-12-20", "12/20/2026", "Dec 20, 2026" or "20 Dec 2026" → "2026-12-20"; null otherwise. */
  function parseDate(text) {
    var value = text.trim().toLowerCase();
    var iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(value);
    if (iso) return build(iso[1], iso[2], iso[3]);
    // The bug: a "strict ISO" refactor dropped every other format.
    if (visitLog.has("schedule-date-strict")) return null;
    var us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value);
    if (us) return build(us[3], us[1], us[2]);
    var named = /^([a-z]{3})[a-z]*\.? (\d{1,2}),? (\d{4})$/.exec(value) || /^(\d{1,2}) ([a-z]{3})[a-z]* (\d{4})$/.exec(value);
    if (named) {
      var monthFirst = isNaN(Number(named[1]));
      var month = MONTHS.indexOf(monthFirst ? named[1] : named[2]) + 1;
      return month > 0 ? build(named[3], month, monthFirst ? named[2] : named[1]) : null;
    }
    return null;
  }

  function build(year, month, day) {
    var m = Number(month);
    var d = Number(day);
    if (m < 1 || m > 12 || d < 1 || d > 31) return null;
    return year + "-" + String(m).padStart(2, "0") + "-" + String(d).padStart(2, "0");
  }

  function schedule() {
    var date = parseDate(dateInput.value);
    if (!date) {
      dateError.textContent = visitLog.has("schedule-date-strict") ? "Invalid date" : "Use a date like 12/20/2026 or Dec 20, 2026.";
      dateError.hidden = false;
      dateInput.classList.add("invalid");
      App.track("schedule_date_rejected", { campaign_id: campaign.id });
      return;
    }
    dateError.hidden = true;
    dateInput.classList.remove("invalid");
    sendButton.disabled = true;
    sendButton.textContent = "Scheduling…";
    var time = document.getElementById("schedule-time").value;
    App.api("POST", "/api/campaigns/" + campaign.id + "/schedule", { date: date, time: time }).then(function (result) {
      if (!result.ok) {
        sendButton.disabled = false;
        sendButton.textContent = "Schedule campaign";
        App.toast("Couldn't schedule the campaign.", "error");
        App.reportError(App.ApiError("POST", "/api/campaigns/:id/schedule", result.status, result.data.error));
        return;
      }
      App.setFlash("“" + campaign.name + "” is scheduled for " + date + " at " + time + ".", "campaign_scheduled", { campaign_id: campaign.id, date: date });
      location.href = "/campaigns";
    });
  }

  sendButton.addEventListener("click", function () {
    if (delivery() === "later") return schedule();
    modal.hidden = false;
  });
  document.getElementById("cancel-send").addEventListener("click", function () {
    modal.hidden = true;
  });
  document.getElementById("confirm-send-button").addEventListener("click", function () {
    // The bug: audiences became segment lists in one place only; a plain audience has no `segments`.
    var segments = visitLog.has("send-confirm-throws") ? campaign.audience.segments.length : 1;
    var confirm = document.getElementById("confirm-send-button");
    confirm.disabled = true;
    confirm.textContent = "Sending…";
    App.api("POST", "/api/campaigns/" + campaign.id + "/send", { segments: segments }).then(function (result) {
      if (!result.ok) {
        confirm.disabled = false;
        confirm.textContent = "Send now";
        modal.hidden = true;
        App.toast("Couldn't send the campaign.", "error");
        App.reportError(App.ApiError("POST", "/api/campaigns/:id/send", result.status, result.data.error));
        return;
      }
      App.setFlash("“" + campaign.name + "” is on its way to " + result.data.recipients.toLocaleString("en-US") + " contacts.", "campaign_sent", {
        campaign_id: campaign.id,
        recipients: result.data.recipients,
      });
      location.href = "/campaigns";
    });
  });
})();
