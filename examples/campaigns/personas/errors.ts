/** Postbird's users who meet errors: exceptions, failing API calls (seen and unseen), crashing widgets. */
import type { Persona } from "../../../src/generate/persona.ts";
import { firstMarkInWindow, reachIssueWindow } from "../../../src/generate/steps.ts";
import {
  browseList,
  changePlan,
  chooseSchedule,
  createCampaign,
  editMessage,
  fillInvite,
  filterByStatus,
  futureDate,
  goToCampaigns,
  openBilling,
  openDraft,
  openTeam,
  saveChanges,
  sendNow,
  trySchedule,
  waitForList,
  currentPath,
} from "./steps.ts";

export const sendException: Persona = {
  name: "send-exception",
  summary: 'Writes a campaign and confirms "Send now"; the confirm handler throws a TypeError and nothing is sent; after a few tries the user leaves.',
  kinds: ["blocking_exception", "abandonment"],
  happy: false,
  variants: ["retries", "rage-clicks"],
  pages: ["/campaigns", "/campaigns/:id"],
  setup: () => ({ issues: ["send-confirm-throws"], landing: "/campaigns" }),
  async run(context) {
    const { user, rng, variant, record } = context;
    await browseList(context);
    await openDraft(context);
    await editMessage(context);
    await reachIssueWindow(context);
    const editor = currentPath(context);
    await user.click("#send-campaign");
    await user.waitFor("#confirm-send-button", 5_000);
    await user.read(1000, 2000);
    const first = await user.click("#confirm-send-button");
    record.issue({
      kind: "blocking_exception",
      patternKey: "campaign-send-confirm-throws",
      visible: true,
      at: first,
      description: "\"Send now\" in the confirmation throws TypeError: Cannot read properties of undefined (reading 'length'); the dialog stays open and the campaign is not sent.",
      page: editor,
    });
    let last = first;
    if (variant === "rage-clicks") {
      await user.stare(1200, 2000);
      for (let i = rng.int(3, 4); i > 0; i -= 1) {
        last = await user.clickAgain();
        await user.pause(120, 260);
      }
      await user.read(2000, 3000);
    } else {
      await user.read(2500, 4000);
      await user.click("#cancel-send");
      await user.read(1500, 2500);
      await user.click("#send-campaign");
      await user.waitFor("#confirm-send-button", 5_000);
      await user.read(800, 1500);
      last = await user.click("#confirm-send-button");
      await user.read(2500, 4000);
    }
    record.consequence("campaign-send-confirm-throws", {
      kind: "abandonment",
      visible: true,
      at: last,
      description: 'After "Send now" does nothing again and again, the user gives up on sending and closes the tab.',
      page: editor,
    });
    await user.read(6500, 8500);
    record.outcome = "failure";
  },
};

export const inviteException: Persona = {
  name: "invite-exception",
  summary: 'Invites a teammate from Settings › Team; "Send invite" throws a TypeError and nobody is invited; the user retries, maybe with another role, then leaves.',
  kinds: ["blocking_exception", "abandonment"],
  happy: false,
  variants: ["retries", "changes-role"],
  pages: ["/campaigns", "/settings/billing", "/settings/team"],
  setup: () => ({ issues: ["invite-throws"], landing: "/campaigns" }),
  async run(context) {
    const { user, rng, variant, record } = context;
    await browseList(context);
    await openBilling(context);
    await user.read(1000, 2000);
    await openTeam(context);
    await reachIssueWindow(context);
    const first = await fillInvite(context);
    record.issue({
      kind: "blocking_exception",
      patternKey: "team-invite-throws",
      visible: true,
      at: first,
      description: "\"Send invite\" throws TypeError: Cannot read properties of null (reading 'value'); no invite is sent and the form stays as it was.",
      page: "/settings/team",
    });
    await user.read(2500, 4000);
    if (variant === "changes-role") {
      await user.choose("#invite-role", rng.pick(["viewer", "admin", "editor"]));
      await user.pause(600, 1200);
    }
    let last = await user.click("#send-invite");
    await user.read(2500, 3500);
    if (rng.chance(0.6)) {
      last = await user.click("#send-invite");
      await user.read(2000, 3000);
    }
    record.consequence("team-invite-throws", {
      kind: "abandonment",
      visible: true,
      at: last,
      description: 'After several "Send invite" clicks that do nothing, the user gives up inviting and leaves.',
      page: "/settings/team",
    });
    await user.read(6500, 8500);
    record.outcome = "failure";
  },
};

export const saveFailure: Persona = {
  name: "save-failure",
  summary:
    'Edits a campaign and clicks "Save changes"; the API answers 500 and a red toast says the changes were not saved; some send anyway, others go back to the list after repeated failures and leave.',
  kinds: ["visible_api_failure", "abandonment"],
  happy: false,
  variants: ["gives-up", "sends-anyway"],
  pages: ["/campaigns", "/campaigns/new", "/campaigns/:id"],
  setup: () => ({ issues: ["campaign-save-500"], landing: "/campaigns" }),
  async run(context) {
    const { user, rng, variant, record } = context;
    await browseList(context);
    if (rng.chance(0.5)) await createCampaign(context);
    else await openDraft(context);
    await editMessage(context);
    await reachIssueWindow(context);
    const editor = currentPath(context);
    const first = await saveChanges(context);
    record.issue({
      kind: "visible_api_failure",
      patternKey: "campaign-save-500",
      visible: true,
      at: first,
      description: '"Save changes" fails: PUT /api/campaigns/:id answers 500 and a red toast says "Couldn\'t save your changes. Please try again."',
      page: editor,
    });
    await user.read(1500, 2500);
    let last = await saveChanges(context);
    if (variant === "gives-up") {
      if (rng.chance(0.5)) last = await saveChanges(context);
      await user.click("#back-to-list", { navigates: true });
      await waitForList(context);
      record.consequence("campaign-save-500", {
        kind: "abandonment",
        visible: true,
        at: last,
        description: "After saving fails again and again, the user goes back to the campaign list and leaves without sending.",
        page: editor,
      });
      await user.read(6500, 8500);
      record.outcome = "failure";
      return;
    }
    await user.read(1500, 2500);
    await sendNow(context);
    record.outcome = "success";
  },
};

export const listFilterFailure: Persona = {
  name: "list-filter-failure",
  summary: 'Filters the campaign list by status; the API answers 500 and a banner replaces the list; "Retry" fails too; some clear the filter and find the campaign another way, others leave.',
  kinds: ["visible_api_failure", "abandonment"],
  happy: false,
  variants: ["clears-filter", "leaves"],
  pages: ["/campaigns", "/campaigns/:id"],
  setup: () => ({ issues: ["list-filter-500"], landing: "/campaigns" }),
  async run(context) {
    const { user, rng, variant, record } = context;
    await browseList(context);
    await reachIssueWindow(context);
    const status = rng.pick(["draft", "scheduled"] as const);
    const at = await filterByStatus(context, status);
    await user.waitFor("#list-retry", 5_000);
    record.issue({
      kind: "visible_api_failure",
      patternKey: "campaign-list-filter-500",
      visible: true,
      at,
      description: 'Filtering campaigns by status fails: GET /api/campaigns?status=… answers 500 and a banner says "We couldn\'t load your campaigns."',
      page: "/campaigns",
    });
    await user.read(2000, 3000);
    await user.click("#list-retry");
    await user.waitFor("#list-retry", 5_000);
    await user.read(2000, 3000);
    if (variant === "leaves") {
      const last = await user.click("#list-retry");
      await user.waitFor("#list-retry", 5_000);
      await user.read(1500, 2500);
      record.consequence("campaign-list-filter-500", {
        kind: "abandonment",
        visible: true,
        at: last,
        description: "After the filtered list fails to load on every retry, the user leaves.",
        page: "/campaigns",
      });
      await user.read(6500, 8500);
      record.outcome = "failure";
      return;
    }
    await filterByStatus(context, "all");
    await waitForList(context);
    await user.read(1500, 2500);
    await user.type("#campaign-search", rng.pick(["digest", "newsletter", "webinar", "trial", "december"]));
    await user.read(1500, 2500);
    await user.click("#campaign-search", { hoverMs: [100, 300] });
    await user.type("#campaign-search", "", { clear: true });
    await user.read(1000, 1500);
    await openDraft(context);
    await editMessage(context);
    if (rng.chance(0.5)) {
      await chooseSchedule(context);
      await trySchedule(context, futureDate(context, "iso"), { accepted: true });
      await user.read(2500, 3500);
    } else {
      await sendNow(context);
    }
    record.outcome = "success";
  },
};

export const invisibleFailureUser: Persona = {
  name: "invisible-failure-user",
  summary: "Works normally while a background call fails unseen: the list's stats poll answers 500 (counts stay as they were), or the billing usage meter answers 503 (the meter stays hidden).",
  kinds: ["invisible_api_failure"],
  happy: false,
  variants: ["stats-poll", "usage-meter"],
  pages: ["/campaigns", "/campaigns/:id", "/settings/billing"],
  setup: (variant) => ({ issues: [variant === "stats-poll" ? "stats-poll-500" : "usage-meter-503"], landing: "/campaigns" }),
  async run(context) {
    const { user, variant, record } = context;
    await browseList(context);
    if (variant === "stats-poll") {
      // The poll runs every few seconds while the list is open: the user reads long enough for one in the labelling window.
      await reachIssueWindow(context);
      await user.read(6500, 8000);
      const failure = await firstMarkInWindow(context, "api-failure", (m) => m.detail.path === "/api/campaigns/stats");
      if (!failure) throw new Error("the stats poll did not fail as set up");
      record.issue({
        kind: "invisible_api_failure",
        patternKey: "campaign-stats-poll-500",
        visible: false,
        at: failure.t,
        description: "The campaign list's background poll GET /api/campaigns/stats answers 500 every few seconds; open and click rates silently stop updating.",
        page: "/campaigns",
      });
      await openDraft(context);
      await editMessage(context);
      await saveChanges(context);
      await sendNow(context);
    } else {
      await reachIssueWindow(context);
      await openBilling(context);
      await user.read(2000, 3000);
      const failure = await firstMarkInWindow(context, "api-failure", (m) => m.detail.path === "/api/billing/usage");
      if (!failure) throw new Error("the usage meter did not fail as set up");
      record.issue({
        kind: "invisible_api_failure",
        patternKey: "billing-usage-503",
        visible: false,
        at: failure.t,
        description: "GET /api/billing/usage answers 503 on the billing page; the usage meter stays hidden and nobody notices.",
        page: "/settings/billing",
      });
      await changePlan(context);
      await goToCampaigns(context);
      await user.read(2000, 3000);
    }
    record.outcome = "success";
  },
};

export const benignNoiseUser: Persona = {
  name: "benign-noise-user",
  summary: 'Sends or schedules a campaign while a third-party widget (the help beacon, the "What\'s new" feed) throws on every page; nothing else happens.',
  kinds: ["benign_exception"],
  happy: false,
  variants: ["help-beacon", "whats-new"],
  pages: ["/campaigns", "/campaigns/:id"],
  setup: (variant) => ({ issues: [variant === "help-beacon" ? "help-beacon-crash" : "whats-new-crash"], landing: "/campaigns" }),
  async run(context) {
    const { user, rng } = context;
    await browseList(context);
    // The widget crashes on every page load: the next page opens inside the labelling window, so one crash is labelled.
    await reachIssueWindow(context);
    await openDraft(context);
    await editMessage(context);
    await saveChanges(context);
    if (rng.chance(0.5)) {
      await chooseSchedule(context);
      await trySchedule(context, futureDate(context, rng.pick(["iso", "us"] as const)), { accepted: true });
      await user.read(2500, 3500);
    } else {
      await sendNow(context);
    }
    context.record.outcome = "success";
  },
};
