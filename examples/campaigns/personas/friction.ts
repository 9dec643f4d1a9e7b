/** Postbird's users who meet friction without an error: vague validation, hidden required choices, dead controls, slow pages. */
import type { Persona, PersonaContext } from "../../../src/generate/persona.ts";
import { pageLoadedAt, reachIssueWindow } from "../../../src/generate/steps.ts";
import { PREVIEW_SLOW_MS } from "../issues.ts";
import {
  browseList,
  changePlan,
  chooseSchedule,
  continueWizard,
  currentPath,
  editMessage,
  futureDate,
  goToCampaigns,
  onboardingProfile,
  onboardingSender,
  openBilling,
  openDraft,
  pickContacts,
  pickEmailKinds,
  pill,
  saveChanges,
  sendNow,
  signUp,
  trySchedule,
  waitForList,
} from "./steps.ts";

export const scheduleDateConfusion: Persona = {
  name: "schedule-date-confusion",
  summary: 'Schedules a campaign and types the date as people write dates; the field answers only "Invalid date"; some find the format it wants, some send now instead, some leave.',
  kinds: ["confusion", "abandonment"],
  happy: false,
  variants: ["finds-format", "sends-now", "leaves"],
  pages: ["/campaigns", "/campaigns/:id"],
  setup: () => ({ issues: ["schedule-date-strict"], landing: "/campaigns" }),
  async run(context) {
    const { user, rng, variant, record } = context;
    await browseList(context);
    await openDraft(context);
    await editMessage(context);
    if (rng.chance(0.5)) await saveChanges(context);
    await chooseSchedule(context);
    await reachIssueWindow(context);
    const editor = currentPath(context);
    const first = await trySchedule(context, futureDate(context, rng.pick(["us", "named"] as const)), { accepted: false });
    record.issue({
      kind: "confusion",
      patternKey: "schedule-date-format-rejected",
      visible: true,
      at: first,
      description: 'The schedule date field answers "Invalid date" to 1/20/2027 or Jan 20, 2027 without saying which format it wants (only 2027-01-20 works); the user retries in other formats.',
      page: editor,
    });
    await user.read(2000, 3500);
    await trySchedule(context, futureDate(context, rng.pick(["european", "named", "us"] as const)), { accepted: false });
    await user.read(2000, 3000);
    if (variant === "finds-format") {
      await trySchedule(context, futureDate(context, "iso"), { accepted: true });
      await user.read(2500, 3500);
      record.outcome = "success";
      return;
    }
    if (variant === "sends-now") {
      await user.click(pill("delivery", "now"));
      await user.read(1000, 2000);
      await sendNow(context);
      record.outcome = "success";
      return;
    }
    const last = await trySchedule(context, futureDate(context, "us"), { accepted: false });
    await user.read(2000, 3000);
    record.consequence("schedule-date-format-rejected", {
      kind: "abandonment",
      visible: true,
      at: last,
      description: 'After every date format is refused with "Invalid date", the user gives up scheduling and leaves.',
      page: editor,
    });
    await user.read(6500, 8500);
    record.outcome = "abandoned";
  },
};

export const onboardingHiddenChoice: Persona = {
  name: "onboarding-hidden-choice",
  summary:
    'Signs up; on the onboarding\'s audience step a required question sits far below the fold and "Continue" says only "Please complete all required fields"; the user clicks Continue again and again and leaves, or finally scrolls down and finds it.',
  kinds: ["confusion", "abandonment"],
  happy: false,
  variants: ["clicks-continue", "scrolls-down"],
  pages: ["/", "/signup", "/onboarding/profile", "/onboarding/audience", "/onboarding/sender", "/campaigns"],
  setup: () => ({ issues: ["onboarding-hidden-choice"], landing: "/" }),
  async run(context) {
    const { user, rng, variant, record } = context;
    await signUp(context);
    await onboardingProfile(context);
    await pickEmailKinds(context);
    await reachIssueWindow(context);
    const first = await user.click("#wizard-continue");
    await user.waitFor("#wizard-banner", 3_000);
    record.issue({
      kind: "confusion",
      patternKey: "onboarding-required-choice-hidden",
      visible: true,
      at: first,
      description:
        'On the onboarding\'s audience step, "Continue" answers "Please complete all required fields." while the required "How many contacts" question sits far below the fold; the user does not see what is missing.',
      page: "/onboarding/audience",
    });
    await user.read(2000, 3000);
    if (variant === "clicks-continue") {
      await user.scrollBy(rng.between(150, 300));
      await user.read(800, 1500);
      await user.scrollBy(-rng.between(150, 300));
      let last = await user.click("#wizard-continue");
      await user.read(1500, 2500);
      for (let i = rng.int(1, 2); i > 0; i -= 1) {
        last = await user.click("#wizard-continue");
        await user.read(1200, 2000);
      }
      record.consequence("onboarding-required-choice-hidden", {
        kind: "abandonment",
        visible: true,
        at: last,
        description: 'After clicking "Continue" again and again against "Please complete all required fields.", the user abandons the onboarding.',
        page: "/onboarding/audience",
      });
      await user.read(6500, 8500);
      record.outcome = "abandoned";
      return;
    }
    await user.click("#wizard-continue");
    await user.read(1500, 2500);
    await user.scrollBy(900);
    await user.read(1000, 1800);
    await pickContacts(context);
    await continueWizard(context);
    await onboardingSender(context);
    record.outcome = "success";
  },
};

const DEAD_CONTROLS = {
  templates: {
    selector: "#templates-toggle",
    patternKey: "editor-templates-label-does-nothing",
    description: 'The "Templates ▾" label in the campaign editor looks like a button; clicking it does nothing.',
  },
  "compare-plans": {
    selector: "#compare-plans",
    patternKey: "billing-compare-plans-does-nothing",
    description: '"Compare plans ›" on the billing page looks like a button; clicking it does nothing.',
  },
} as const;

export const deadClickUser: Persona = {
  name: "dead-click-user",
  summary: 'Clicks something that looks like a button and does nothing (the editor\'s "Templates ▾", the billing page\'s "Compare plans ›") a couple of times, then carries on and finishes.',
  kinds: ["dead_click"],
  happy: false,
  variants: ["templates", "compare-plans"],
  pages: ["/campaigns", "/campaigns/:id", "/settings/billing"],
  setup: (variant) => ({ issues: [variant === "templates" ? "templates-label-dead" : "compare-plans-dead"], landing: "/campaigns" }),
  async run(context) {
    const { user, variant } = context;
    await browseList(context);
    if (variant === "templates") {
      await openDraft(context);
      await user.read(1500, 2500);
      await clickDeadControl(context, "templates");
      await editMessage(context);
      await saveChanges(context);
      await sendNow(context);
    } else {
      await openBilling(context);
      await user.read(1500, 2500);
      await clickDeadControl(context, "compare-plans");
      await changePlan(context);
    }
    context.record.outcome = "success";
  },
};

/** Clicks the control, waits for a reaction without touching anything (so nothing masks the dead click), maybe clicks again. */
async function clickDeadControl(context: PersonaContext, control: keyof typeof DEAD_CONTROLS): Promise<void> {
  const { user, rng, record } = context;
  const spec = DEAD_CONTROLS[control];
  await reachIssueWindow(context);
  await user.hover(spec.selector, [400, 900]);
  const at = await user.click(spec.selector);
  record.issue({ kind: "dead_click", patternKey: spec.patternKey, visible: true, at, description: spec.description, page: currentPath(context) });
  await user.stare(3000, 4000);
  if (rng.chance(0.7)) {
    await user.clickAgain();
    await user.stare(3000, 4000);
  }
}

export const slowPageUser: Persona = {
  name: "slow-page-user",
  summary: "Meets a spinner: the campaign preview takes about 12 s (some wait and send, some leave), or the Reports page's spinner never ends (some move on to their campaigns, some leave).",
  kinds: ["slow_page"],
  happy: false,
  variants: ["preview-waits", "reports-moves-on", "preview-leaves", "reports-leaves"],
  pages: ["/campaigns", "/campaigns/:id", "/campaigns/:id/preview", "/reports"],
  setup: (variant) => ({ issues: [variant.startsWith("preview") ? "preview-slow" : "reports-stuck"], landing: "/campaigns" }),
  async run(context) {
    const { user, rng, variant, record } = context;
    await browseList(context);
    if (variant.startsWith("preview")) {
      await openDraft(context);
      await editMessage(context);
      await reachIssueWindow(context);
      const clickedAt = await user.click("#preview-link", { navigates: true });
      const previewPath = currentPath(context);
      record.issue({
        kind: "slow_page",
        patternKey: "campaign-preview-slow",
        visible: true,
        at: await pageLoadedAt(context, previewPath, clickedAt),
        description: `The campaign preview shows "Rendering preview…" for about ${PREVIEW_SLOW_MS / 1000} s before the email appears.`,
        page: previewPath,
      });
      if (variant === "preview-leaves") return leaveWhileWaiting(context);
      await user.waitFor("#preview .email", 30_000);
      await user.read(2000, 3000);
      await user.click("#back-to-editor", { navigates: true });
      await user.waitFor("#editor-form");
      await sendNow(context);
      record.outcome = "success";
      return;
    }
    await reachIssueWindow(context);
    const clickedAt = await user.click(".sidebar a.nav-item[href='/reports']", { navigates: true });
    record.issue({
      kind: "slow_page",
      patternKey: "reports-spinner-never-ends",
      visible: true,
      at: await pageLoadedAt(context, "/reports", clickedAt),
      description: 'The Reports page shows "Loading engagement…" and then "Still loading…" forever: the report request never answers.',
      page: "/reports",
    });
    if (variant === "reports-leaves") return leaveWhileWaiting(context);
    await user.read(5000, 6500);
    await user.scrollBy(rng.between(100, 250));
    await user.read(4000, 5500);
    await goToCampaigns(context);
    await waitForList(context);
    await user.read(1500, 2500);
    await openDraft(context);
    await editMessage(context);
    await chooseSchedule(context);
    await trySchedule(context, futureDate(context, "iso"), { accepted: true });
    await user.read(2500, 3500);
    record.outcome = "success";
  },
};

/** Watches the spinner for 7–10 s, fidgets, then closes the tab. */
async function leaveWhileWaiting(context: PersonaContext): Promise<void> {
  const { user, rng, record } = context;
  await user.read(2500, 3500);
  await user.scrollBy(rng.between(100, 250));
  await user.read(2500, 3500);
  await user.scrollBy(-rng.between(100, 250));
  await user.read(2000, 3000);
  record.outcome = "abandoned";
}
