/**
 * Steps of a visit to Postbird shared by its personas: the campaign list, the editor, sending and
 * scheduling, the sign-up and onboarding funnel, settings. Each acts through the `Visitor`.
 */
import type { PersonaContext } from "../../../src/generate/persona.ts";

export const CAMPAIGN_NAMES = ["Spring launch", "January digest", "Holiday hours", "New recipes", "Workshop invite", "Price update", "Member stories", "Year in review"];
export const SUBJECTS = [
  "A few things we made for you",
  "Your January reading list",
  "We're open late this week",
  "Three recipes for cold evenings",
  "Save your seat for Thursday",
  "What's changing in March",
];
export const MESSAGE_LINES = [
  "We have been busy this month and wanted you to hear it first.",
  "Thanks for reading, and for all the replies to our last letter.",
  "Here is a short round-up of what is new and what is coming.",
  "As always, reply to this email if anything is unclear.",
];

/** A pill or a custom checkbox: the visible part of a hidden input. */
export function pill(name: string, value: string): string {
  return `input[name="${name}"][value="${value}"] + span`;
}

export async function waitForList(context: PersonaContext, timeoutMs = 20_000): Promise<void> {
  await context.user.waitFor("#campaign-rows tr[data-id]", timeoutMs);
}

/** Looks over the campaign list: reads, scrolls a little, points at a row. */
export async function browseList(context: PersonaContext): Promise<void> {
  const { user, rng, short } = context;
  await waitForList(context);
  await user.read(1500, 3000);
  if (!short && rng.chance(0.6)) {
    const rows = (await user.page.$$("#campaign-rows tr[data-id]")).length;
    if (rows > 0) await user.hover(`#campaign-rows tr[data-id]:nth-child(${rng.int(1, rows)}) a.row-link`, [400, 1100]);
  }
  if (rng.chance(0.4)) {
    await user.scrollBy(rng.between(150, 350));
    await user.read(800, 1600);
    await user.scrollBy(-rng.between(150, 350));
  }
}

export async function goToCampaigns(context: PersonaContext): Promise<void> {
  await context.user.click(".sidebar a.nav-item[href='/campaigns']", { navigates: true });
  await waitForList(context);
}

/** Filters the list by status with the `<select>`; returns the click's browser time. */
export async function filterByStatus(context: PersonaContext, status: "all" | "draft" | "scheduled" | "sent"): Promise<number> {
  const { user } = context;
  const before = (await user.marks()).length;
  await user.choose("#status-filter", status);
  const click = (await user.marks()).slice(before).find((m) => m.type === "click");
  await user.pause(600, 1000);
  return click?.t ?? (await user.now());
}

/** Opens one of the drafts from the list (the list must show drafts). */
export async function openDraft(context: PersonaContext): Promise<void> {
  const { user, rng } = context;
  await waitForList(context);
  const hrefs = (await user.evaluate(
    `[...document.querySelectorAll("#campaign-rows tr[data-id]")].filter((row) => row.querySelector(".status-draft")).map((row) => row.querySelector("a.row-link").getAttribute("href"))`,
  )) as string[];
  if (hrefs.length === 0) throw new Error("no draft in the campaign list");
  await user.click(`a.row-link[href="${rng.pick(hrefs)}"]`, { navigates: true, hoverMs: [250, 700] });
  await user.waitFor("#editor-form");
}

/** "New campaign" → name, subject, audience → "Create draft" → the editor. */
export async function createCampaign(context: PersonaContext): Promise<void> {
  const { user, rng } = context;
  await user.click("#new-campaign", { navigates: true });
  await user.waitFor("#new-form");
  await user.read(800, 1600);
  await user.type("#campaign-name", rng.pick(CAMPAIGN_NAMES));
  await user.pause(300, 700);
  await user.type("#campaign-subject", rng.pick(SUBJECTS));
  await user.pause(300, 700);
  if (rng.chance(0.6)) await user.choose("#campaign-audience", rng.pick(["newsletter", "customers", "all"]));
  await user.pause(400, 900);
  await user.click("#create-draft", { navigates: true });
  await user.waitFor("#editor-form");
}

/** Writes a line or two in the message, sometimes touches the subject. */
export async function editMessage(context: PersonaContext): Promise<void> {
  const { user, rng, short } = context;
  await user.read(1200, 2500);
  if (rng.chance(0.4)) {
    await user.type("#preheader", rng.pick(["Read this first", "Two minutes, promise", "News from the team"]), { clear: true });
    await user.pause(300, 700);
  }
  await user.type("#body", ` ${rng.pick(MESSAGE_LINES)}`);
  if (!short && rng.chance(0.5)) await user.type("#body", ` ${rng.pick(MESSAGE_LINES)}`);
  await user.read(800, 1500);
}

/** Clicks "Save changes" and waits for its toast; returns the click's browser time. */
export async function saveChanges(context: PersonaContext): Promise<number> {
  const at = await context.user.click("#save-campaign");
  await context.user.waitFor(".toast.visible", 6_000).catch(() => undefined);
  await context.user.read(1000, 2000);
  return at;
}

/** Opens the preview, looks at it (maybe on mobile), goes back to the editor. */
export async function previewCampaign(context: PersonaContext, timeoutMs = 20_000): Promise<void> {
  const { user, rng } = context;
  await user.click("#preview-link", { navigates: true });
  await user.waitFor("#preview .email", timeoutMs);
  await user.read(1500, 3000);
  if (rng.chance(0.5)) {
    await user.click(pill("device", "mobile"));
    await user.read(1000, 2000);
  }
  await user.click("#back-to-editor", { navigates: true });
  await user.waitFor("#editor-form");
}

/** "Send campaign" → the confirmation → "Send now" → back on the list with the flash. */
export async function sendNow(context: PersonaContext): Promise<void> {
  const { user } = context;
  await user.click("#send-campaign");
  await user.waitFor("#confirm-send-button", 5_000);
  await user.read(1000, 2000);
  await user.click("#confirm-send-button", { navigates: true });
  await waitForList(context);
  await user.read(2000, 3500);
}

/** Picks "Schedule", types the date; returns nothing (the attempt is `trySchedule`). */
export async function chooseSchedule(context: PersonaContext): Promise<void> {
  const { user, rng } = context;
  await user.click(pill("delivery", "later"));
  await user.waitFor("#schedule-date", 3_000);
  await user.pause(500, 1000);
  if (rng.chance(0.5)) {
    await user.choose("#schedule-time", rng.pick(["08:00", "12:00", "17:00"]));
    await user.pause(300, 700);
  }
}

/** Types a date and clicks "Schedule campaign"; returns the click's browser time. Navigates when the date is taken. */
export async function trySchedule(context: PersonaContext, date: string, options: { accepted: boolean }): Promise<number> {
  const { user } = context;
  await user.type("#schedule-date", date, { clear: true, typoRate: 0 });
  await user.pause(400, 900);
  const at = await user.click("#send-campaign", { navigates: options.accepted });
  if (options.accepted) await waitForList(context);
  else await user.waitFor("#date-error", 4_000);
  return at;
}

/** A date a few weeks ahead, in one of the formats people type. */
export function futureDate(context: PersonaContext, format: "us" | "named" | "iso" | "european"): string {
  const day = context.rng.int(2, 27);
  const month = context.rng.int(1, 3);
  const year = 2027;
  const names = ["Jan", "Feb", "Mar"];
  if (format === "us") return `${month}/${day}/${year}`;
  if (format === "named") return `${names[month - 1]} ${day}, ${year}`;
  if (format === "european") return `${day}.${month}.${year}`;
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** From the landing page: "Start free trial", the sign-up form, on to the first onboarding step. */
export async function signUp(context: PersonaContext): Promise<void> {
  const { user, customer, rng } = context;
  await user.read(2000, 3500);
  await user.click("#start-trial", { navigates: true });
  await user.waitFor("#signup-form");
  await user.type("#signup-name", `${customer.firstName} ${customer.lastName}`);
  await user.pause(200, 500);
  await user.type("#signup-email", customer.email.replace(/@.*/, "@acme.example"));
  if (rng.chance(0.7)) await user.type("#signup-company", rng.pick(["Acme Kitchens", "Northwind Books", "Bluebird Yoga", "Harbour Coffee"]));
  await user.type("#signup-password", `${customer.password}x`);
  await user.pause(400, 900);
  await user.click(".check .box");
  await user.pause(500, 1000);
  await user.click("#signup-submit", { navigates: true });
  await user.waitFor("#wizard-form");
}

/** Step 1: role pills, team size `<select>`, maybe the website. */
export async function onboardingProfile(context: PersonaContext): Promise<void> {
  const { user, rng } = context;
  await user.read(1200, 2200);
  await user.click(pill("role", rng.pick(["founder", "marketer", "developer", "other"])));
  await user.pause(500, 1000);
  await user.choose("#team-size", rng.pick(["1", "2-10", "11-50"]));
  await user.pause(400, 800);
  if (rng.chance(0.5)) await user.type("#website", "https://acme.example");
  await user.pause(400, 900);
  await user.click("#wizard-continue", { navigates: true });
  await user.waitFor("#wizard-form");
}

/** Step 2, the kinds of email: one or two checkbox pills. */
export async function pickEmailKinds(context: PersonaContext): Promise<void> {
  const { user, rng } = context;
  await user.read(1200, 2200);
  const kinds = rng.shuffle(["newsletter", "product", "promotions", "transactional"]).slice(0, rng.int(1, 2));
  for (const kind of kinds) {
    await user.click(pill("kinds", kind));
    await user.pause(400, 900);
  }
}

/** Step 2, the contacts question, wherever it is. */
export async function pickContacts(context: PersonaContext): Promise<void> {
  const { user, rng } = context;
  await user.click(pill("contacts", rng.pick(["0-500", "500-5000", "5000+"])));
  await user.pause(500, 1000);
}

export async function continueWizard(context: PersonaContext): Promise<void> {
  await context.user.click("#wizard-continue", { navigates: true });
  await context.user.waitFor("#wizard-form");
}

/** Step 3: sender details, "Finish setup", and the campaign list with the welcome. */
export async function onboardingSender(context: PersonaContext): Promise<void> {
  const { user, rng } = context;
  await user.read(1000, 2000);
  await user.type("#sender-name", rng.pick(["Acme Kitchens", "The Northwind team", "Bluebird Yoga"]));
  await user.pause(300, 600);
  await user.type("#sender-email", "news@acme.example");
  if (rng.chance(0.5)) await user.type("#sender-address", "12 Harbour Road, Portland");
  await user.pause(400, 900);
  await user.click("#wizard-continue", { navigates: true });
  await waitForList(context);
  await user.read(2000, 3500);
}

export async function openBilling(context: PersonaContext): Promise<void> {
  await context.user.click(".sidebar a.nav-item[href='/settings/billing']", { navigates: true });
  await context.user.waitFor("#update-plan");
}

export async function openTeam(context: PersonaContext): Promise<void> {
  await context.user.click(".tabs a[href='/settings/team']", { navigates: true });
  await context.user.waitFor("#invite-form");
}

/** Types an email, picks a role, clicks "Send invite"; returns the click's browser time. */
export async function fillInvite(context: PersonaContext): Promise<number> {
  const { user, rng } = context;
  await user.read(1200, 2200);
  await user.type("#invite-email", `${rng.pick(["jo", "priya", "marco", "lena", "sam.k"])}@acme.example`);
  await user.pause(300, 700);
  if (rng.chance(0.6)) await user.choose("#invite-role", rng.pick(["viewer", "admin"]));
  await user.pause(400, 900);
  return user.click("#send-invite");
}

/** Picks another plan and clicks "Update plan". */
export async function changePlan(context: PersonaContext): Promise<void> {
  const { user, rng } = context;
  await user.click(pill("plan", rng.pick(["growth", "scale"])));
  await user.pause(700, 1400);
  await user.click("#update-plan");
  await user.waitFor(".toast.visible", 5_000);
  await user.read(2000, 3000);
}

/** The path of the page the user is on, as a label's `page`. */
export function currentPath(context: PersonaContext): string {
  return new URL(context.user.page.url()).pathname;
}
