import { formatLocation, type InputLocation } from "./errors.ts";

/** One recoverable problem met while reading (a bad line that was skipped, an unknown event type). */
export interface ReadWarning extends InputLocation {
  code: string;
  problem: string;
}

/**
 * Collects recoverable problems so that a reader can skip a bad line and go on, while the caller
 * still sees (and counts) every skip. Keeps the first `keep` warnings verbatim and counts the rest.
 */
export class ReadWarnings {
  readonly kept: ReadWarning[] = [];
  readonly countByCode = new Map<string, number>();
  total = 0;

  constructor(private readonly keep = 50) {}

  add(warning: ReadWarning): void {
    this.total += 1;
    this.countByCode.set(warning.code, (this.countByCode.get(warning.code) ?? 0) + 1);
    if (this.kept.length < this.keep) this.kept.push(warning);
  }

  /** One line per code, e.g. `invalid_json x3 (first: events.jsonl:7: Unexpected token)`. */
  summary(): string[] {
    return [...this.countByCode.entries()].map(([code, count]) => {
      const first = this.kept.find((w) => w.code === code);
      const where = first ? ` (first: ${formatLocation(first)}: ${first.problem})` : "";
      return `${code} x${count}${where}`;
    });
  }
}
