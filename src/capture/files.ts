/** File names inside `sessions/<id>/` of a captured dataset (DESIGN §4). */
export const DATASET_FILES = {
  events: "events.jsonl",
  recording: "recording.jsonl",
  meta: "meta.json",
} as const;
