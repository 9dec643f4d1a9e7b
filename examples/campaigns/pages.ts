/**
 * Server-rendered page shells of Postbird. Lists, previews, reports, dialogs, toasts and banners are
 * rendered in the browser by the scripts in `public/`, so recordings hold real DOM mutations.
 */
import { bodyScripts, documentHead, escapeHtml } from "../common/pages.ts";
import type { AnalyticsSettings, VisitLogSettings } from "../common/pages.ts";
import { ISSUES_COOKIE } from "./issues.ts";
import type { Campaign } from "./workspace.ts";
import { AUDIENCES } from "./workspace.ts";

export type { AnalyticsSettings };

const PRODUCT = "Postbird";
/** Each visit keeps its own workspace, by the visit cookie (see `server.ts`). */
export const VISIT_COOKIE = "pb_visit";
const VISIT_LOG: VisitLogSettings = { storagePrefix: "pb", issuesCookie: ISSUES_COOKIE, visitCookie: VISIT_COOKIE };
export const ONBOARDING_STEPS = ["profile", "audience", "sender"] as const;
type OnboardingStep = (typeof ONBOARDING_STEPS)[number];

interface PageParts {
  title: string;
  /** The page script in `public/pages/`. */
  page: string;
  main: string;
  /** `app`: the signed-in product with its sidebar; `public`: the site and the sign-up funnel. */
  shell: "app" | "public";
  /** The sidebar entry to highlight. */
  section?: "campaigns" | "reports" | "settings";
  data?: unknown;
}

function layout(settings: AnalyticsSettings, parts: PageParts): string {
  const body =
    parts.shell === "app"
      ? `<div class="app">
${sidebar(parts.section)}
<main id="main" class="app-main">
${parts.main}
</main>
</div>`
      : `<header class="site-header"><a class="logo" href="/"><span class="logo-mark">✉</span> ${PRODUCT}</a></header>
<main id="main" class="site-main">
${parts.main}
</main>`;
  return `<!doctype html>
<html lang="en">
<head>
${documentHead({ title: parts.title, product: PRODUCT, stylesheet: "app.css", analytics: settings, visitLog: VISIT_LOG })}
</head>
<body data-page="${parts.page}" class="shell-${parts.shell}">
${body}
${bodyScripts({ data: parts.data, appScript: "app.js", page: parts.page })}
</body>
</html>
`;
}

function sidebar(section: PageParts["section"]): string {
  const item = (key: NonNullable<PageParts["section"]>, href: string, label: string): string => `<a class="nav-item${section === key ? " active" : ""}" href="${href}">${label}</a>`;
  return `<nav class="sidebar" aria-label="Main">
  <a class="logo" href="/campaigns"><span class="logo-mark">✉</span> ${PRODUCT}</a>
  ${item("campaigns", "/campaigns", "Campaigns")}
  ${item("reports", "/reports", "Reports")}
  ${item("settings", "/settings/billing", "Settings")}
  <div class="sidebar-foot"><span class="avatar">AK</span> Acme Kitchens<br><span class="muted small">Starter plan</span></div>
</nav>`;
}

function pills(name: string, options: Array<[string, string]>, type: "radio" | "checkbox" = "radio", checked: string | null = null): string {
  return `<div class="pills" role="${type === "radio" ? "radiogroup" : "group"}">${options
    .map(([value, label]) => `<label class="pill"><input type="${type}" name="${name}" value="${value}"${value === checked ? " checked" : ""}><span>${escapeHtml(label)}</span></label>`)
    .join("")}</div>`;
}

export function landingPage(settings: AnalyticsSettings): string {
  return layout(settings, {
    title: "Email campaigns for small teams",
    page: "landing",
    shell: "public",
    main: `<section class="hero">
  <h1>Newsletters your readers open.</h1>
  <p>Write, schedule and send email campaigns in minutes. Free for your first 500 contacts.</p>
  <a class="btn btn-primary" id="start-trial" href="/signup">Start free trial</a>
  <a class="btn" href="/campaigns" id="log-in">Log in</a>
</section>
<section class="features">
  <div><h3>Editor</h3><p>Write once, preview on every device.</p></div>
  <div><h3>Scheduling</h3><p>Send when your readers are awake.</p></div>
  <div><h3>Reports</h3><p>Opens and clicks, without the noise.</p></div>
</section>`,
  });
}

export function signUpPage(settings: AnalyticsSettings): string {
  return layout(settings, {
    title: "Create your account",
    page: "signup",
    shell: "public",
    main: `<div class="narrow card">
<h1>Create your account</h1>
<div id="signup-banner" class="banner" hidden></div>
<form id="signup-form" class="stack" novalidate>
  <label>Your name<input id="signup-name" name="name" autocomplete="name" required></label>
  <label>Work email<input id="signup-email" name="email" type="email" autocomplete="email" required></label>
  <label>Company<input id="signup-company" name="company" autocomplete="organization"></label>
  <label>Password<input id="signup-password" name="password" type="password" autocomplete="new-password" required></label>
  <label class="check"><input type="checkbox" id="signup-terms" name="terms"><span class="box"></span> I agree to the terms of service</label>
  <button class="btn btn-primary btn-wide" id="signup-submit" type="submit">Create account</button>
</form>
<p class="muted small">Already have an account? <a href="/campaigns">Log in</a></p>
</div>`,
  });
}

export function onboardingPage(settings: AnalyticsSettings, step: OnboardingStep, hiddenChoice: boolean): string {
  const index = ONBOARDING_STEPS.indexOf(step);
  const progress = `<ol class="steps">${["Your profile", "Your audience", "Sender details"]
    .map((label, i) => `<li class="${i < index ? "done" : i === index ? "current" : ""}">${label}</li>`)
    .join("")}</ol>`;
  let fields: string;
  if (step === "profile") {
    fields = `<fieldset><legend>What is your role?</legend>${pills("role", [
      ["founder", "Founder"],
      ["marketer", "Marketer"],
      ["developer", "Developer"],
      ["other", "Other"],
    ])}</fieldset>
<label>Team size<select id="team-size" name="teamSize"><option value="1">Just me</option><option value="2-10">2–10</option><option value="11-50">11–50</option><option value="51+">51 or more</option></select></label>
<label>Website<input id="website" name="website" placeholder="https://"></label>`;
  } else if (step === "audience") {
    const contacts = `<fieldset id="contacts-fieldset" class="required-choice"><legend>How many contacts do you have? <span class="req">*</span></legend>${pills("contacts", [
      ["0-500", "Under 500"],
      ["500-5000", "500–5,000"],
      ["5000+", "Over 5,000"],
    ])}<p class="field-error" id="contacts-error" hidden>Choose how many contacts you have.</p></fieldset>`;
    const integrations = ["Shopify", "Stripe", "HubSpot", "Salesforce", "WordPress", "Zapier", "Google Sheets", "Typeform", "Webflow"]
      .map((name) => `<div class="tile"><strong>${name}</strong><span class="muted small">Sync contacts automatically</span></div>`)
      .join("");
    fields = `<fieldset><legend>What will you send?</legend>${pills(
      "kinds",
      [
        ["newsletter", "Newsletters"],
        ["product", "Product updates"],
        ["promotions", "Promotions"],
        ["transactional", "Receipts"],
      ],
      "checkbox",
    )}</fieldset>
${hiddenChoice ? "" : contacts}
<section class="import"><h2>Bring your contacts</h2>
  <p class="muted">You can import them now or later from Settings. We never email anyone who has not agreed to hear from you.</p>
  <div class="dropzone">Drop a CSV file here<br><span class="muted small">Columns: email, first_name, last_name, tags</span></div>
  <h3>Or connect a tool you already use</h3>
  <div class="tiles">${integrations}</div>
  <p class="muted small">Imports run in the background; we email you when they are done. Duplicates are merged by email address. Unsubscribed contacts stay unsubscribed.</p>
</section>
${hiddenChoice ? contacts : ""}`;
  } else {
    fields = `<label>Sender name<input id="sender-name" name="senderName" placeholder="Acme Kitchens"></label>
<label>Sender email<input id="sender-email" name="senderEmail" type="email" placeholder="news@acme.example"></label>
<label>Postal address (shown in the footer, required by law)<input id="sender-address" name="address"></label>`;
  }
  const last = index === ONBOARDING_STEPS.length - 1;
  return layout(settings, {
    title: "Set up your account",
    page: "onboarding",
    shell: "public",
    main: `<div class="wizard">
${progress}
<div id="wizard-banner" class="banner" hidden></div>
<form id="wizard-form" class="stack" novalidate>
${fields}
</form>
<div class="wizard-bar"><a class="muted" href="${index === 0 ? "/signup" : `/onboarding/${ONBOARDING_STEPS[index - 1]}`}">Back</a><button class="btn btn-primary" id="wizard-continue" type="button">${last ? "Finish setup" : "Continue"}</button></div>
</div>`,
    data: { step, next: last ? null : `/onboarding/${ONBOARDING_STEPS[index + 1]}` },
  });
}

export function campaignListPage(settings: AnalyticsSettings): string {
  return layout(settings, {
    title: "Campaigns",
    page: "campaigns",
    shell: "app",
    section: "campaigns",
    main: `<div class="page-head"><h1>Campaigns</h1><a class="btn btn-primary" id="new-campaign" href="/campaigns/new">New campaign</a></div>
<div id="flash" class="banner" hidden></div>
<div class="filters">
  <label>Status<select id="status-filter"><option value="all">All</option><option value="draft">Drafts</option><option value="scheduled">Scheduled</option><option value="sent">Sent</option></select></label>
  <label class="search">Search<input id="campaign-search" type="search" placeholder="Name or subject" autocomplete="off"></label>
  <label class="switch"><input type="checkbox" id="only-mine"><span class="track"></span> Only mine</label>
</div>
<div id="list-banner" class="banner" hidden></div>
<table class="table"><thead><tr><th>Name</th><th>Status</th><th>Audience</th><th>When</th><th>Opens</th><th>Clicks</th></tr></thead><tbody id="campaign-rows"></tbody></table>`,
  });
}

export function newCampaignPage(settings: AnalyticsSettings): string {
  const audiences = Object.entries(AUDIENCES)
    .map(([key, a]) => `<option value="${key}">${escapeHtml(a.name)} (${a.size.toLocaleString("en-US")})</option>`)
    .join("");
  return layout(settings, {
    title: "New campaign",
    page: "campaign-new",
    shell: "app",
    section: "campaigns",
    main: `<nav class="breadcrumb"><a href="/campaigns">Campaigns</a> › New</nav>
<h1>New campaign</h1>
<div id="new-banner" class="banner" hidden></div>
<form id="new-form" class="stack narrow" novalidate>
  <label>Campaign name<input id="campaign-name" name="name" required placeholder="For you, not your readers"></label>
  <label>Subject line<input id="campaign-subject" name="subject" required></label>
  <label>Audience<select id="campaign-audience" name="audience">${audiences}</select></label>
  <button class="btn btn-primary" id="create-draft" type="submit">Create draft</button>
</form>`,
  });
}

export function campaignEditorPage(settings: AnalyticsSettings, campaign: Campaign, strictDate: boolean): string {
  const audience = AUDIENCES[campaign.audience] ?? { name: campaign.audience, size: 0 };
  const templates = ["Announcement", "Digest", "Plain letter"].map((t) => `<button type="button" class="template" data-template="${t}">${t}</button>`).join("");
  return layout(settings, {
    title: campaign.name,
    page: "campaign",
    shell: "app",
    section: "campaigns",
    main: `<nav class="breadcrumb"><a href="/campaigns" id="back-to-list">Campaigns</a> › ${escapeHtml(campaign.name)}</nav>
<div class="page-head"><h1>${escapeHtml(campaign.name)}</h1><span class="status status-${campaign.status}">${campaign.status}</span></div>
<div class="editor">
  <form id="editor-form" class="stack" novalidate>
    <label>Subject line<input id="subject" name="subject" value="${escapeHtml(campaign.subject)}"></label>
    <label>Preview text<input id="preheader" name="preheader" value="${escapeHtml(campaign.preheader)}" placeholder="Shown after the subject in the inbox"></label>
    <div class="toolbar"><span class="btn-like" id="templates-toggle">Templates ▾</span><span class="muted small">Use {first_name} to greet readers by name.</span></div>
    <div class="templates" id="templates-panel" hidden>${templates}</div>
    <label>Message<textarea id="body" name="body" rows="9">${escapeHtml(campaign.body)}</textarea></label>
    <div class="row"><button class="btn" id="save-campaign" type="button">Save changes</button><a class="btn" id="preview-link" href="/campaigns/${campaign.id}/preview">Preview</a></div>
  </form>
  <aside class="panel">
    <h2>Delivery</h2>
    <p class="muted">To <strong>${escapeHtml(audience.name)}</strong> · ${audience.size.toLocaleString("en-US")} contacts</p>
    ${pills(
      "delivery",
      [
        ["now", "Send now"],
        ["later", "Schedule"],
      ],
      "radio",
      "now",
    )}
    <div id="schedule-fields" class="stack" hidden>
      <label>Date<input id="schedule-date" name="date" autocomplete="off" placeholder="${strictDate ? "Date" : "e.g. 12/20/2026 or 2026-12-20"}"></label>
      <p class="field-error" id="date-error" hidden></p>
      <label>Time<select id="schedule-time" name="time"><option>08:00</option><option selected>09:00</option><option>12:00</option><option>17:00</option></select></label>
    </div>
    <button class="btn btn-primary btn-wide" id="send-campaign" type="button">Send campaign</button>
  </aside>
</div>
<div class="modal" id="confirm-send" hidden><div class="modal-inner">
  <h2>Send “${escapeHtml(campaign.name)}”?</h2>
  <p>It goes to ${audience.size.toLocaleString("en-US")} contacts in ${escapeHtml(audience.name)} right away. This cannot be undone.</p>
  <div class="row"><button type="button" class="btn" id="cancel-send">Cancel</button><button type="button" class="btn btn-primary" id="confirm-send-button">Send now</button></div>
</div></div>`,
    data: { campaign: { id: campaign.id, name: campaign.name, audience: campaign.audience, recipients: audience.size } },
  });
}

export function previewPage(settings: AnalyticsSettings, campaign: Campaign): string {
  return layout(settings, {
    title: `Preview: ${campaign.name}`,
    page: "preview",
    shell: "app",
    section: "campaigns",
    main: `<nav class="breadcrumb"><a href="/campaigns">Campaigns</a> › <a href="/campaigns/${campaign.id}" id="back-to-editor">${escapeHtml(campaign.name)}</a> › Preview</nav>
<h1>Preview</h1>
<div class="device-switch">${pills(
      "device",
      [
        ["desktop", "Desktop"],
        ["mobile", "Mobile"],
      ],
      "radio",
      "desktop",
    )}</div>
<div id="preview" class="preview"></div>`,
    data: { id: campaign.id },
  });
}

export function reportsPage(settings: AnalyticsSettings): string {
  return layout(settings, {
    title: "Reports",
    page: "reports",
    shell: "app",
    section: "reports",
    main: `<h1>Engagement</h1>
<p class="muted">Opens and clicks of the campaigns you sent in the last 90 days.</p>
<div id="report" class="report"></div>`,
  });
}

function settingsTabs(active: "billing" | "team"): string {
  return `<div class="tabs"><a class="tab${active === "billing" ? " active" : ""}" href="/settings/billing">Billing</a><a class="tab${active === "team" ? " active" : ""}" href="/settings/team">Team</a></div>`;
}

export function billingPage(settings: AnalyticsSettings, plan: string): string {
  return layout(settings, {
    title: "Billing",
    page: "billing",
    shell: "app",
    section: "settings",
    main: `<h1>Settings</h1>
${settingsTabs("billing")}
<section class="card"><h2>Usage this month</h2><div id="usage" class="usage" hidden></div></section>
<section class="card">
  <div class="page-head"><h2>Plan</h2><span class="link-button" id="compare-plans">Compare plans ›</span></div>
  ${pills(
    "plan",
    [
      ["starter", "Starter · $0"],
      ["growth", "Growth · $29/mo"],
      ["scale", "Scale · $99/mo"],
    ],
    "radio",
    plan,
  )}
  <table class="table compare" id="compare-table" hidden><tr><th></th><th>Starter</th><th>Growth</th><th>Scale</th></tr><tr><td>Emails a month</td><td>2,500</td><td>25,000</td><td>100,000</td></tr><tr><td>Team members</td><td>1</td><td>5</td><td>Unlimited</td></tr><tr><td>Scheduling</td><td>✓</td><td>✓</td><td>✓</td></tr><tr><td>A/B tests</td><td>—</td><td>✓</td><td>✓</td></tr></table>
  <button class="btn btn-primary" id="update-plan" type="button">Update plan</button>
  <p class="muted small">Changes apply at once; we prorate the difference on your next invoice.</p>
</section>`,
    data: { plan },
  });
}

export function teamPage(settings: AnalyticsSettings, invites: Array<{ email: string; role: string }>): string {
  const rows = [{ email: "you@acme.example", role: "owner" }, { email: "dana@acme.example", role: "admin" }, { email: "sam@acme.example", role: "editor" }, ...invites]
    .map((m) => `<tr><td>${escapeHtml(m.email)}</td><td>${escapeHtml(m.role)}</td></tr>`)
    .join("");
  return layout(settings, {
    title: "Team",
    page: "team",
    shell: "app",
    section: "settings",
    main: `<h1>Settings</h1>
${settingsTabs("team")}
<section class="card"><h2>Members</h2><table class="table"><tbody id="members">${rows}</tbody></table></section>
<section class="card"><h2>Invite a teammate</h2>
<div id="invite-banner" class="banner" hidden></div>
<form id="invite-form" class="row" novalidate>
  <label>Email<input id="invite-email" name="email" type="email" autocomplete="off"></label>
  <label>Role<select id="invite-role" name="role"><option value="editor">Editor</option><option value="viewer">Viewer</option><option value="admin">Admin</option></select></label>
  <button class="btn btn-primary" id="send-invite" type="button">Send invite</button>
</form></section>`,
  });
}

export function notFoundPage(settings: AnalyticsSettings): string {
  return layout(settings, {
    title: "Not found",
    page: "not-found",
    shell: "public",
    main: `<div class="narrow"><h1>We couldn't find that page</h1><p><a href="/campaigns">Back to your campaigns</a></p></div>`,
  });
}
