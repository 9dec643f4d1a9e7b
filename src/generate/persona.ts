import type { IssueKind, LabelledIssue, SessionOutcome } from "../domain/labels.ts";
import type { Customer } from "./customers.ts";
import type { Rng } from "./random.ts";
import type { Visitor } from "./visitor.ts";

/** How a session starts: which bugs the app has for this visit and where the user lands. */
export interface VisitSetup {
  /** The app's issue names (each app checks its own; see its `issues.ts`). */
  issues: string[];
  /** Path of the first page, e.g. `/`, `/product/linen-apron` or `/campaigns`. */
  landing: string;
}

/** An issue as a persona reports it; the session turns `at` (browser ms) into the label's timestamp. */
export interface IssueReport {
  kind: IssueKind;
  /** The root problem's key; a consequence carries the key of the issue it follows from. */
  patternKey: string;
  /** Set on a consequence (an abandonment after an error): the root problem's key, equal to `patternKey`. */
  consequenceOf?: string;
  visible: boolean;
  /** Browser `Date.now()` of the triggering action. */
  at: number;
  description: string;
  page: string;
}

/** Collects what a persona knows happened: its issues and how the session ended. */
export class SessionRecord {
  readonly issues: IssueReport[] = [];
  outcome: SessionOutcome = "success";

  issue(report: Omit<IssueReport, "consequenceOf">): void {
    this.issues.push(report);
  }

  /**
   * An issue that follows from a root problem already recorded in this session (the user gives up
   * after an error): labelled with the root's key and `consequence_of`, so it is not a pattern of its own.
   */
  consequence(rootKey: string, report: Omit<IssueReport, "patternKey" | "consequenceOf">): void {
    if (!this.issues.some((i) => i.consequenceOf === undefined && i.patternKey === rootKey)) {
      throw new Error(`consequence of ${rootKey}, which this session has not recorded`);
    }
    this.issues.push({ ...report, patternKey: rootKey, consequenceOf: rootKey });
  }

  toLabelIssues(): LabelledIssue[] {
    return [...this.issues]
      .sort((a, b) => a.at - b.at)
      .map((i) => ({
        kind: i.kind,
        pattern_key: i.patternKey,
        ...(i.consequenceOf !== undefined ? { consequence_of: i.consequenceOf } : {}),
        visible: i.visible,
        timestamp: new Date(i.at).toISOString(),
        description: i.description,
        page: i.page,
      }));
  }
}

/** Everything a persona's script gets. */
export interface PersonaContext {
  /** Drives the browser like a person. */
  user: Visitor;
  /** Choices: products, queries, texts, how many retries. Independent of mouse-path randomness. */
  rng: Rng;
  variant: string;
  /** Short sessions for tests: optional steps are skipped and pauses shortened. */
  short: boolean;
  customer: Customer;
  record: SessionRecord;
  /** Browser time of the first page load: issues must come at least 5 s after it. */
  startedAt: number;
}

export interface Persona {
  name: string;
  /** One line: who this user is and what happens to them. */
  summary: string;
  /** Issue kinds the persona's sessions are labelled with (some only in some variants). */
  kinds: readonly IssueKind[];
  /** A happy path: no issue at all. */
  happy: boolean;
  /** Variants are taken in turn by the persona's successive sessions, so a run covers several pages. */
  variants: readonly string[];
  /** Pages the persona goes through, for documentation. */
  pages: readonly string[];
  setup(variant: string, rng: Rng): VisitSetup;
  run(context: PersonaContext): Promise<void>;
}
