/**
 * The words the offline analyst reads page roles and goals from, as data, so that a test (or a
 * product map) can change them. Two layers:
 * - `GENERIC_VOCABULARY`: words any web product uses (sign-in, search, confirmation, new, edit,
 *   onboarding) and goal verbs (`*_completed`, `*_sent`, `*_published`…). The analyst must do
 *   well with these alone.
 * - `SHOP_VOCABULARY`: the words of an e-commerce funnel (cart, checkout, product, catalogue).
 *   They only sharpen titles and severities on shops; no verdict depends on them alone.
 * `DEFAULT_VOCABULARY` is both; `withoutShopWords()` is the generic layer alone.
 *
 * Route words are compared with the path split into words (`/sign-in` → `sign`, `in`; joined
 * forms like `signin` are matched against `joinedWords`). Event phrases are regular-expression
 * sources matched against an event name in lower-case words (`campaign_sent` → `campaign sent`).
 */

export interface SiteVocabulary {
  /** Route words per page role. */
  confirmationWords: readonly string[];
  cartWords: readonly string[];
  checkoutWords: readonly string[];
  /** Matched against the whole area with separators removed (`sign-in`, `log_in` → `signin`, `login`). */
  signInJoinedWords: readonly string[];
  searchWords: readonly string[];
  /** Words whose next path segment names one item (`/product/<slug>`): the item page role. */
  itemWords: readonly string[];
  catalogueWords: readonly string[];
  /** Route words of a task page: a step the user works through and can abandon (`/campaigns/new`). */
  taskWords: readonly string[];
  /** Route words that are never ids, whatever their position (`/campaigns/new` is not `/campaigns/:id`). */
  routeWords: readonly string[];
  /** Custom events that say a goal was reached (regular-expression sources over the event's words). */
  goalPhrases: readonly string[];
  /** Custom events that are a step toward a goal. */
  stepPhrases: readonly string[];
  /** Controls whose failure blocks a goal (severity `critical`). */
  goalControlPhrases: readonly string[];
  /** Controls that move a form or a flow forward (`Continue`, `Next`, `Save`): using one again and again without result is confusion. */
  forwardControlPhrases: readonly string[];
}

export const GENERIC_VOCABULARY: SiteVocabulary = {
  confirmationWords: ["confirmation", "confirmed", "thanks", "thank", "thankyou", "success", "complete", "completed", "done"],
  cartWords: [],
  checkoutWords: [],
  signInJoinedWords: ["signin", "login", "logon", "signup", "register", "auth"],
  searchWords: ["search", "find", "results"],
  itemWords: [],
  catalogueWords: [],
  taskWords: ["new", "edit", "create", "compose", "setup", "onboarding", "wizard", "step", "steps", "import", "upload", "invite"],
  routeWords: [
    "new",
    "edit",
    "create",
    "compose",
    "settings",
    "billing",
    "team",
    "members",
    "profile",
    "account",
    "security",
    "notifications",
    "preferences",
    "overview",
    "dashboard",
    "analytics",
    "reports",
    "preview",
    "review",
    "history",
    "archive",
    "drafts",
    "inbox",
    "sent",
    "trash",
    "all",
    "list",
    "grid",
    "calendar",
    "help",
    "docs",
    "about",
    "pricing",
    "plans",
    "plan",
    "welcome",
    "start",
    "onboarding",
    "setup",
    "import",
    "export",
    "upload",
    "invite",
    "search",
    "results",
    "sign-in",
    "sign-up",
    "login",
    "logout",
  ],
  goalPhrases: [
    // A step counts as a step, whatever verb follows it (`checkout step completed`, `wizard step saved`).
    // A verb of completion, or of a change the user made and the product kept (`plan changed`, `draft saved`).
    String.raw`^(?!.*\bsteps?\b).*\b(completed?|created|sent|saved|changed|published|invited|submitted|finished|placed|confirmed|activated|scheduled|booked|launched|upgraded)$`,
    String.raw`\b(completed?|finished|placed|confirmed) (an? )?\w+$`,
    String.raw`^order\b(?!.*\b(started|viewed|opened|updated)\b)`,
    String.raw`\bpurchased?\b`,
    String.raw`\b(signed up|sign ?up (completed?|done|succeeded|finished)|registered|account created|subscribed|subscription (started|created|activated)|trial started)\b`,
  ],
  stepPhrases: [
    String.raw`\b(step|steps)\b.*\b(completed?|done|saved|submitted)\b`,
    String.raw`\b(started|begun|began|progressed|entered|selected|chosen|applied|added|uploaded|shared|downloaded|updated|edited|connected|verified)$`,
    String.raw`^(added|add|selected|chosen|applied|started)\b`,
    String.raw`\b(signed in|logged in|log in succeeded|login succeeded|sign in succeeded|authenticated)\b`,
    String.raw`\b(search performed|searched)\b`,
  ],
  goalControlPhrases: [String.raw`\b(sign ?up|subscribe|submit|send|publish|save|create|finish|confirm)\b`],
  forwardControlPhrases: [String.raw`\b(continue|next|save|submit|send|publish|create|finish|done|confirm|apply|update|invite|proceed|complete|register|sign ?(in|up)|log ?in|schedule)\b`],
};

export const SHOP_VOCABULARY: SiteVocabulary = {
  confirmationWords: ["receipt"],
  cartWords: ["cart", "basket", "bag", "trolley"],
  checkoutWords: ["checkout"],
  signInJoinedWords: [],
  searchWords: [],
  itemWords: ["p", "product", "products", "item", "items", "listing", "listings"],
  catalogueWords: ["category", "categories", "catalog", "catalogue", "collection", "collections", "shop", "store", "products"],
  taskWords: [],
  routeWords: ["cart", "checkout", "basket"],
  goalPhrases: [String.raw`\b(order|purchase|checkout|payment|transaction)s? (completed?|placed|confirmed|succeeded|successful|success|done)\b`],
  stepPhrases: [
    String.raw`\b(added|add) (item )?to (cart|bag|basket|wishlist)\b`,
    String.raw`\b(checkout (started|step|progressed)|started checkout|begin checkout)\b`,
    String.raw`\b(payment|shipping|billing|contact) (info|information|details) (entered|added|submitted|completed)\b`,
    String.raw`\b(coupon|promo|discount|voucher) (code )?(applied|redeemed|accepted)\b`,
  ],
  goalControlPhrases: [String.raw`\b(order|pay|payment|buy|purchase|checkout|check out|add to (cart|bag|basket)|book|reserve)\b`],
  forwardControlPhrases: [String.raw`\b(place order|pay|checkout|check out)\b`],
};

function mergeVocabularies(a: SiteVocabulary, b: SiteVocabulary): SiteVocabulary {
  const merged = {} as Record<keyof SiteVocabulary, readonly string[]>;
  for (const key of Object.keys(a) as Array<keyof SiteVocabulary>) merged[key] = [...new Set([...a[key], ...b[key]])];
  return merged as SiteVocabulary;
}

export const DEFAULT_VOCABULARY: SiteVocabulary = mergeVocabularies(GENERIC_VOCABULARY, SHOP_VOCABULARY);

/** The generic layer alone: what the analyst knows without any e-commerce word. */
export function withoutShopWords(): SiteVocabulary {
  return GENERIC_VOCABULARY;
}

/** Adds words (from a product map, say) to a vocabulary. */
export function extendVocabulary(base: SiteVocabulary, extra: Partial<SiteVocabulary>): SiteVocabulary {
  const empty = Object.fromEntries(Object.keys(base).map((key) => [key, []])) as unknown as SiteVocabulary;
  return mergeVocabularies(base, { ...empty, ...extra });
}
