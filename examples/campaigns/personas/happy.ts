/** Postbird's happy paths: sending, scheduling, onboarding, settings. Nothing goes wrong (beyond posthog-js's own noise). */
import type { Persona } from "../../../src/generate/persona.ts";
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
  onboardingProfile,
  onboardingSender,
  openBilling,
  openDraft,
  openTeam,
  pickContacts,
  pickEmailKinds,
  previewCampaign,
  saveChanges,
  sendNow,
  signUp,
  continueWizard,
  trySchedule,
  waitForList,
} from "./steps.ts";

export const happySender: Persona = {
  name: "happy-sender",
  summary: "Writes a campaign (a new one or a draft from the list), saves, previews and sends it to the audience.",
  kinds: [],
  happy: true,
  variants: ["new-campaign", "existing-draft", "searches"],
  pages: ["/campaigns", "/campaigns/new", "/campaigns/:id", "/campaigns/:id/preview"],
  setup: () => ({ issues: [], landing: "/campaigns" }),
  async run(context) {
    const { user, rng, variant, short } = context;
    await browseList(context);
    if (variant === "new-campaign") {
      await createCampaign(context);
    } else if (variant === "existing-draft") {
      await filterByStatus(context, "draft");
      await waitForList(context);
      await user.read(1000, 2000);
      await openDraft(context);
    } else {
      await user.type("#campaign-search", rng.pick(["digest", "newsletter", "webinar", "trial"]));
      await user.read(1500, 2500);
      if (rng.chance(0.5)) {
        await user.click(".switch .track");
        await user.read(1000, 2000);
      }
      await user.click("#campaign-search", { hoverMs: [100, 300] });
      await user.type("#campaign-search", "", { clear: true });
      await user.read(1000, 1800);
      await openDraft(context);
    }
    await editMessage(context);
    await saveChanges(context);
    if (!short && rng.chance(0.7)) await previewCampaign(context);
    await sendNow(context);
    context.record.outcome = "success";
  },
};

export const happyScheduler: Persona = {
  name: "happy-scheduler",
  summary: 'Opens a draft, edits it, picks "Schedule" and types a date the way people write dates; the campaign is scheduled.',
  kinds: [],
  happy: true,
  variants: ["us-date", "named-date"],
  pages: ["/campaigns", "/campaigns/:id"],
  setup: () => ({ issues: [], landing: "/campaigns" }),
  async run(context) {
    const { user, variant } = context;
    await browseList(context);
    await openDraft(context);
    await editMessage(context);
    await saveChanges(context);
    await chooseSchedule(context);
    await trySchedule(context, futureDate(context, variant === "us-date" ? "us" : "named"), { accepted: true });
    await user.read(2500, 4000);
    context.record.outcome = "success";
  },
};

export const happyOnboarder: Persona = {
  name: "happy-onboarder",
  summary: "Signs up from the landing page, goes through the three onboarding steps and lands on the campaign list; some then invite a teammate.",
  kinds: [],
  happy: true,
  variants: ["plain", "invites-team"],
  pages: ["/", "/signup", "/onboarding/profile", "/onboarding/audience", "/onboarding/sender", "/campaigns", "/settings/team"],
  setup: () => ({ issues: [], landing: "/" }),
  async run(context) {
    const { user, variant } = context;
    await signUp(context);
    await onboardingProfile(context);
    await pickEmailKinds(context);
    await pickContacts(context);
    await continueWizard(context);
    await onboardingSender(context);
    if (variant === "invites-team") {
      await openBilling(context);
      await user.read(1000, 2000);
      await openTeam(context);
      await fillInvite(context);
      await user.waitFor(".toast.visible", 5_000);
      await user.read(2000, 3000);
    }
    context.record.outcome = "success";
  },
};

export const happyAdmin: Persona = {
  name: "happy-admin",
  summary: "Looks after the account: compares plans and upgrades, or invites a teammate with a role.",
  kinds: [],
  happy: true,
  variants: ["upgrade-plan", "invite-teammate"],
  pages: ["/campaigns", "/settings/billing", "/settings/team"],
  setup: () => ({ issues: [], landing: "/campaigns" }),
  async run(context) {
    const { user, variant, rng } = context;
    await browseList(context);
    await openBilling(context);
    await user.read(1500, 2500);
    if (variant === "upgrade-plan") {
      await user.click("#compare-plans");
      await user.read(2000, 3500);
      await changePlan(context);
    } else {
      await openTeam(context);
      await fillInvite(context);
      await user.waitFor(".toast.visible", 5_000);
      await user.read(1500, 2500);
      if (rng.chance(0.5)) {
        await goToCampaigns(context);
        await user.read(1500, 2500);
      }
    }
    context.record.outcome = "success";
  },
};
