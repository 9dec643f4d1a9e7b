import { LABELS_VERSION } from "../domain/labels.ts";
import type { Labels } from "../domain/labels.ts";

/**
 * Version 1 labels gave the abandonment that follows a problem its own pattern key. The personas now
 * record it as a consequence of that problem (`SessionRecord.consequence`); this table says which
 * root each old abandonment key belongs to, as the personas record it.
 */
export const V1_CONSEQUENCE_KEYS: Readonly<Record<string, string>> = {
  "checkout-abandoned": "checkout-place-order-throws",
  "add-to-cart-abandoned": "product-add-to-cart-throws",
  "search-abandoned": "search-api-500",
  "cart-abandoned": "cart-quantity-update-500",
  "checkout-abandoned-after-coupon": "coupon-code-rejected",
  "sign-in-abandoned": "sign-in-vague-error",
};

/**
 * Rewrites version 1 labels of the scripted-users generator to version 2 (one key per root problem):
 * an abandonment whose old key is a known consequence, in a session that has the root problem, gets
 * the root's key and `consequence_of`. Anything else is kept as it was. Version 2 labels come back unchanged.
 */
export function upgradeLabels(labels: Labels): Labels {
  if (labels.version === LABELS_VERSION) return labels;
  const sessions = Object.fromEntries(
    Object.entries(labels.sessions).map(([id, label]) => {
      const roots = new Set(label.issues.filter((i) => i.consequence_of === undefined).map((i) => i.pattern_key));
      const issues = label.issues.map((issue) => {
        const root = issue.kind === "abandonment" ? V1_CONSEQUENCE_KEYS[issue.pattern_key] : undefined;
        return root !== undefined && roots.has(root) ? { ...issue, pattern_key: root, consequence_of: root } : issue;
      });
      return [id, { ...label, issues }];
    }),
  );
  return { ...labels, version: LABELS_VERSION, sessions };
}
