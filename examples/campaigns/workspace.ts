/**
 * The data of one visit's workspace: a team with a handful of campaigns, kept per visit (a cookie)
 * so the sessions of a run do not see each other's drafts.
 */
export type CampaignStatus = "draft" | "scheduled" | "sent";

export interface Campaign {
  id: number;
  name: string;
  subject: string;
  preheader: string;
  body: string;
  audience: string;
  status: CampaignStatus;
  owner: string;
  /** ISO date and time for scheduled campaigns, the send time for sent ones. */
  when: string | null;
  recipients: number;
  opens: number;
  clicks: number;
}

export const AUDIENCES: Record<string, { name: string; size: number }> = {
  all: { name: "All subscribers", size: 1240 },
  newsletter: { name: "Newsletter readers", size: 860 },
  customers: { name: "Paying customers", size: 312 },
  trial: { name: "Trial users", size: 148 },
};

const SEED_CAMPAIGNS: Array<Omit<Campaign, "id">> = [
  {
    name: "November product update",
    subject: "What's new in November",
    preheader: "Three things we shipped",
    body: "Hi {first_name},\n\nThis month we shipped three things you asked for.",
    audience: "all",
    status: "sent",
    owner: "you",
    when: "2026-11-04T09:00",
    recipients: 1190,
    opens: 512,
    clicks: 96,
  },
  {
    name: "Black Friday teaser",
    subject: "Something is coming Friday",
    preheader: "Mark your calendar",
    body: "Hi {first_name},\n\nOn Friday we have something for you.",
    audience: "customers",
    status: "sent",
    owner: "Dana",
    when: "2026-11-24T10:30",
    recipients: 305,
    opens: 201,
    clicks: 58,
  },
  {
    name: "Weekly digest #48",
    subject: "Your weekly digest",
    preheader: "The best of this week",
    body: "Hi {first_name},\n\nHere is what happened this week.",
    audience: "newsletter",
    status: "scheduled",
    owner: "you",
    when: "2026-12-11T08:00",
    recipients: 0,
    opens: 0,
    clicks: 0,
  },
  {
    name: "Trial day 7 nudge",
    subject: "A week in: how is it going?",
    preheader: "Tips for your second week",
    body: "Hi {first_name},\n\nYou have been trying us for a week.",
    audience: "trial",
    status: "draft",
    owner: "you",
    when: null,
    recipients: 0,
    opens: 0,
    clicks: 0,
  },
  {
    name: "December newsletter",
    subject: "December at a glance",
    preheader: "Events, stories and a gift",
    body: "Hi {first_name},\n\nDecember is here.",
    audience: "newsletter",
    status: "draft",
    owner: "you",
    when: null,
    recipients: 0,
    opens: 0,
    clicks: 0,
  },
  {
    name: "Webinar invitation",
    subject: "Join us live on the 18th",
    preheader: "Ask us anything",
    body: "Hi {first_name},\n\nWe are hosting a live Q&A.",
    audience: "all",
    status: "draft",
    owner: "Dana",
    when: null,
    recipients: 0,
    opens: 0,
    clicks: 0,
  },
  {
    name: "Customer survey",
    subject: "Two minutes to make us better?",
    preheader: "Five questions",
    body: "Hi {first_name},\n\nWe would love your feedback.",
    audience: "customers",
    status: "sent",
    owner: "Sam",
    when: "2026-10-15T14:00",
    recipients: 298,
    opens: 174,
    clicks: 61,
  },
];

export class Workspace {
  readonly campaigns = new Map<number, Campaign>();
  private nextId = 1042;
  plan = "starter";
  readonly invites: Array<{ email: string; role: string }> = [];

  constructor() {
    for (const campaign of SEED_CAMPAIGNS) this.add(campaign);
  }

  add(campaign: Omit<Campaign, "id">): Campaign {
    const created = { ...campaign, id: this.nextId++ };
    this.campaigns.set(created.id, created);
    return created;
  }

  list(filter: { status?: string; query?: string; mine?: boolean }): Campaign[] {
    const query = (filter.query ?? "").trim().toLowerCase();
    return [...this.campaigns.values()]
      .filter((c) => !filter.status || filter.status === "all" || c.status === filter.status)
      .filter((c) => !query || c.name.toLowerCase().includes(query) || c.subject.toLowerCase().includes(query))
      .filter((c) => !filter.mine || c.owner === "you")
      .sort((a, b) => b.id - a.id);
  }
}
