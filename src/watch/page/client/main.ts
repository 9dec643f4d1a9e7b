import { issueVisible, shownLine, type IssueFacets, type IssueFilter } from "./filters.ts";

/** What tests (and the curious) can read from the page. */
interface IssuesPageHandle {
  ready: boolean;
  /** Issues shown with the current filter. */
  shown(): number;
}

declare global {
  interface Window {
    __issuesPage?: IssuesPageHandle;
  }
}

/**
 * The page's own elements by tag and id: the page text is escaped, but an element of the wrong tag
 * under one of these ids is never used.
 */
function own<K extends keyof HTMLElementTagNameMap>(tag: K, id: string): HTMLElementTagNameMap[K] | null {
  const element = document.getElementById(id);
  return element && element.tagName.toLowerCase() === tag ? (element as HTMLElementTagNameMap[K]) : null;
}

function checkedValues(form: HTMLFormElement, name: string): Set<string> {
  const values = new Set<string>();
  for (const input of Array.from(form.querySelectorAll<HTMLInputElement>(`input[type="checkbox"][name="${name}"]`))) {
    if (input.checked) values.add(input.value);
  }
  return values;
}

function selected(form: HTMLFormElement, name: string): string {
  const select = form.querySelector<HTMLSelectElement>(`select[name="${name}"]`);
  return select ? select.value : "";
}

function facetsOf(item: HTMLElement): IssueFacets {
  return { state: item.dataset.state ?? "", severity: item.dataset.severity ?? "", kind: item.dataset.kind ?? "", monitor: item.dataset.monitor ?? "" };
}

/** Hides the issues the form filters out, and the state groups left empty; says how many are shown. */
function apply(form: HTMLFormElement, list: HTMLElement, output: HTMLOutputElement | null): number {
  const filter: IssueFilter = { states: checkedValues(form, "state"), severities: checkedValues(form, "severity"), kind: selected(form, "kind"), monitor: selected(form, "monitor") };
  const items = list.querySelectorAll<HTMLElement>("li.issue");
  let shown = 0;
  for (const item of Array.from(items)) {
    const visible = issueVisible(facetsOf(item), filter);
    item.hidden = !visible;
    if (visible) shown += 1;
  }
  for (const group of Array.from(list.querySelectorAll<HTMLElement>("section.state-group"))) {
    group.hidden = group.querySelector("li.issue:not([hidden])") === null;
  }
  if (output) output.textContent = shownLine(shown, items.length);
  return shown;
}

function start(): void {
  const form = own("form", "issues-filters");
  const list = own("div", "issues-groups");
  let shown = list ? list.querySelectorAll("li.issue").length : 0;
  if (form && list) {
    const output = own("output", "issues-shown");
    // Shown only with the script: without it every issue is listed and the form would do nothing.
    form.hidden = false;
    form.addEventListener("change", () => {
      shown = apply(form, list, output);
    });
    form.addEventListener("submit", (event) => event.preventDefault());
    shown = apply(form, list, output);
  }
  window.__issuesPage = { ready: true, shown: () => shown };
}

start();
