/**
 * Server-rendered page shells of the shop. Dynamic parts (product grids, search results, the cart,
 * banners, spinners) are rendered in the browser by the scripts in `public/`, so recordings hold
 * real DOM mutations.
 */
import { bodyScripts, documentHead, escapeHtml } from "../common/pages.ts";
import type { AnalyticsSettings, VisitLogSettings } from "../common/pages.ts";
import { money, productArt } from "./catalogue.ts";
import type { Product } from "./catalogue.ts";
import { ISSUES_COOKIE } from "./issues.ts";

export type { AnalyticsSettings };

export type PageName = "catalogue" | "search" | "product" | "cart" | "checkout" | "sign-in" | "confirmation" | "not-found";

interface PageParts {
  title: string;
  page: PageName;
  main: string;
  /** Extra data for the page script, as JSON in a `<script type="application/json">`. */
  data?: unknown;
}

const SHOP_NAME = "Fernhill Home";
const VISIT_LOG: VisitLogSettings = { storagePrefix: "fh", issuesCookie: ISSUES_COOKIE };

function layout(settings: AnalyticsSettings, parts: PageParts): string {
  return `<!doctype html>
<html lang="en">
<head>
${documentHead({ title: parts.title, product: SHOP_NAME, stylesheet: "shop.css", analytics: settings, visitLog: VISIT_LOG })}
</head>
<body data-page="${parts.page}">
${promoBar()}
${header()}
<main id="main" class="container">
${parts.main}
</main>
${footer()}
${bodyScripts({ data: parts.data, appScript: "shop.js", page: parts.page })}
</body>
</html>
`;
}

function promoBar(): string {
  return `<div class="promo-bar">
  <span class="promo-text">Autumn edit: new linen and stoneware</span>
  <span class="promo-pill" id="promo-pill">Free shipping over $50 ›</span>
  <div class="promo-popover" id="promo-popover" hidden>
    <strong>Free standard shipping</strong> on orders over $50 within the US. Express from $12. Orders ship in 1–2 business days.
  </div>
</div>`;
}

function header(): string {
  return `<header class="site-header">
  <div class="container header-row">
    <a class="logo" href="/"><span class="logo-mark">❦</span> ${SHOP_NAME}</a>
    <nav class="main-nav" aria-label="Categories">
      <a href="/?category=Kitchen">Kitchen</a>
      <a href="/?category=Textiles">Textiles</a>
      <a href="/?category=Home">Home</a>
    </nav>
    <form class="header-search" action="/search" method="get" role="search">
      <input id="header-search-input" type="search" name="q" placeholder="Search products" aria-label="Search products" autocomplete="off">
      <button class="btn btn-small" type="submit">Search</button>
    </form>
    <div class="header-actions">
      <button class="currency-switch" type="button" data-currency="USD">USD $</button>
      <a id="account-link" href="/sign-in">Sign in</a>
      <a id="cart-link" class="cart-link" href="/cart" aria-label="Cart">Cart <span class="cart-badge" id="cart-badge">0</span></a>
    </div>
  </div>
</header>`;
}

function footer(): string {
  return `<footer class="site-footer">
  <div class="container footer-row">
    <div><strong>${SHOP_NAME}</strong><p>Things for slow mornings and long evenings. Free returns within 30 days.</p></div>
    <div><strong>Help</strong><p><a href="/help/shipping">Shipping</a> · <a href="/help/returns">Returns</a> · <a href="/help/contact">Contact</a></p></div>
    <div><strong>Newsletter</strong><p>10% off your first order with code WELCOME10.</p></div>
  </div>
</footer>`;
}

export function cataloguePage(settings: AnalyticsSettings, category: string | null): string {
  const chips = ["All", "Kitchen", "Textiles", "Home"]
    .map((c) => {
      const active = (category ?? "All") === c ? " active" : "";
      const href = c === "All" ? "/" : `/?category=${c}`;
      return `<a class="chip${active}" href="${href}">${c}</a>`;
    })
    .join("");
  return layout(settings, {
    title: category ?? "Shop",
    page: "catalogue",
    main: `<section class="hero">
  <div><h1>Slow mornings, good things.</h1><p>Stoneware, linen and wool from small workshops. Made to be used every day.</p></div>
  ${productArt("kettle", "#8fa98b", "A sage stoneware kettle")}
</section>
<div class="chips" role="tablist">${chips}</div>
<h2 class="section-title">${escapeHtml(category ?? "All products")}</h2>
<div id="product-grid" class="product-grid" aria-live="polite"></div>`,
    data: { category },
  });
}

export function searchPage(settings: AnalyticsSettings, query: string): string {
  return layout(settings, {
    title: query ? `Search: ${query}` : "Search",
    page: "search",
    main: `<h1>Search</h1>
<form id="search-form" class="search-form" action="/search" method="get" role="search">
  <input id="search-input" type="search" name="q" value="${escapeHtml(query)}" placeholder="Try “mug” or “linen”" aria-label="Search products">
  <button class="btn" id="search-button" type="submit">Search</button>
</form>
<div id="search-status" class="search-status" aria-live="polite"></div>
<div id="search-results" class="product-grid"></div>`,
    data: { query },
  });
}

export function productPage(settings: AnalyticsSettings, product: Product): string {
  const first = product.colourways[0];
  const swatches = product.colourways
    .map(
      (c, i) =>
        `<button type="button" class="swatch${i === 0 ? " selected" : ""}" data-colour="${escapeHtml(c.name)}" data-hex="${c.hex}" aria-label="${escapeHtml(c.name)}" style="--swatch:${c.hex}"></button>`,
    )
    .join("");
  const stars = (rating: number): string => "★★★★★".slice(0, rating) + "☆☆☆☆☆".slice(0, 5 - rating);
  const average = product.reviews.length === 0 ? 0 : product.reviews.reduce((n, r) => n + r.rating, 0) / product.reviews.length;
  const reviews =
    product.reviews.length === 0
      ? `<p class="muted">No reviews yet.</p>`
      : product.reviews
          .map((r) => `<blockquote class="review"><span class="stars">${stars(r.rating)}</span> <strong>${escapeHtml(r.author)}</strong><p>${escapeHtml(r.text)}</p></blockquote>`)
          .join("");
  return layout(settings, {
    title: product.name,
    page: "product",
    main: `<nav class="breadcrumb"><a href="/">Shop</a> › <a href="/?category=${product.category}">${product.category}</a> › ${escapeHtml(product.name)}</nav>
<div class="product-layout">
  <div class="gallery">
    <div class="gallery-main" id="gallery-main">${product.colourways
      .map((c, i) => `<div class="art-variant" data-colour="${escapeHtml(c.name)}"${i === 0 ? "" : " hidden"}>${productArt(product.art, c.hex, `${product.name}, ${c.name}`)}</div>`)
      .join("")}</div>
    <span class="zoom-badge" id="zoom-badge">⤢ Zoom</span>
  </div>
  <div class="product-info">
    <h1 id="product-name">${escapeHtml(product.name)}</h1>
    <p class="rating">${stars(Math.round(average))} <span class="muted">(${product.reviews.length} reviews)</span></p>
    <p class="price big" id="product-price">${money(product.price)}</p>
    <p>${escapeHtml(product.description)}</p>
    <div class="field"><span class="label">Colour: <span id="colour-name">${escapeHtml(first?.name ?? "")}</span></span><div class="swatches" id="swatches">${swatches}</div></div>
    <div class="field"><span class="label">Quantity</span>
      <div class="stepper"><button type="button" class="step" id="qty-minus" aria-label="Decrease quantity">−</button><input id="qty" type="number" min="1" max="9" value="1" aria-label="Quantity"><button type="button" class="step" id="qty-plus" aria-label="Increase quantity">+</button></div>
    </div>
    <button class="btn btn-primary btn-wide" id="add-to-cart" type="button">Add to cart</button>
    <p class="muted delivery">Ships in 1–2 business days · Free returns</p>
    <div id="add-feedback" class="inline-feedback" aria-live="polite"></div>
  </div>
</div>
<section class="reviews"><h2>Reviews</h2>${reviews}</section>
<section class="recommendations" id="recommendations" hidden><h2>You may also like</h2><div class="product-grid small" id="recommendation-grid"></div></section>
<div class="lightbox" id="lightbox" hidden><div class="lightbox-inner">${productArt(product.art, first?.hex ?? "#ccc", product.name)}<button type="button" class="btn" id="lightbox-close">Close</button></div></div>`,
    data: {
      product: { id: product.id, slug: product.slug, name: product.name, price: product.price, art: product.art, colourways: product.colourways },
    },
  });
}

export function cartPage(settings: AnalyticsSettings): string {
  return layout(settings, {
    title: "Your cart",
    page: "cart",
    main: `<h1>Your cart</h1>
<div id="cart-banner" class="banner" hidden></div>
<div class="cart-layout">
  <div id="cart-lines" class="cart-lines"></div>
  <aside class="summary">
    <h2>Summary</h2>
    <p class="summary-row"><span>Subtotal</span><span id="cart-subtotal">$0.00</span></p>
    <span class="shipping-estimate" id="shipping-estimate">Estimate shipping ›</span>
    <div class="shipping-panel" id="shipping-panel" hidden>
      <p class="summary-row"><span>Standard (3–5 days)</span><span id="shipping-standard">$6.00</span></p>
      <p class="summary-row"><span>Express (1–2 days)</span><span>$12.00</span></p>
    </div>
    <a class="btn btn-primary btn-wide" id="checkout-button" href="/checkout">Proceed to checkout</a>
    <a class="muted continue" href="/">Continue shopping</a>
  </aside>
</div>`,
  });
}

export function checkoutPage(settings: AnalyticsSettings, phoneRequired: boolean): string {
  const phoneLabel = phoneRequired ? "Phone number (required for delivery)" : "Phone number (optional)";
  return layout(settings, {
    title: "Checkout",
    page: "checkout",
    main: `<h1>Checkout</h1>
<div id="checkout-banner" class="banner" hidden></div>
<div class="checkout-layout">
  <form id="checkout-form" class="checkout-form" novalidate>
    <fieldset><legend>Contact</legend>
      <label>Email<input id="email" name="email" type="email" autocomplete="email" required></label>
    </fieldset>
    <fieldset><legend>Shipping address</legend>
      <label>Full name<input id="full-name" name="name" autocomplete="name" required></label>
      <label>Address<input id="address" name="address" autocomplete="street-address" required></label>
      <div class="row"><label>City<input id="city" name="city" required></label><label>Postcode<input id="postcode" name="postcode" required></label></div>
      <label>Country<select id="country" name="country"><option>United States</option><option>Canada</option><option>United Kingdom</option><option>Germany</option><option>Spain</option></select></label>
    </fieldset>
    <fieldset><legend>Payment</legend>
      <label>Card number<input id="card-number" name="card" inputmode="numeric" autocomplete="cc-number" placeholder="1234 1234 1234 1234" required></label>
      <div class="row"><label>Expiry<input id="card-expiry" name="expiry" placeholder="MM / YY" required></label><label>CVC<input id="card-cvc" name="cvc" inputmode="numeric" required></label></div>
    </fieldset>
    <fieldset><legend>Delivery options</legend>
      <label class="radio"><input type="radio" name="delivery" value="standard" checked> Standard, 3–5 business days</label>
      <label class="radio"><input type="radio" name="delivery" value="express"> Express, 1–2 business days (+$12)</label>
      <label>Delivery instructions<textarea id="instructions" name="instructions" rows="3" placeholder="Leave with a neighbour, gate code…"></textarea></label>
    </fieldset>
    <fieldset><legend>Gift options</legend>
      <label class="radio"><input type="checkbox" name="gift" id="gift"> This order is a gift</label>
      <label>Gift message<textarea id="gift-message" name="giftMessage" rows="3"></textarea></label>
      <p class="muted">Prices are hidden on the packing slip of gift orders.</p>
    </fieldset>
    <fieldset><legend>Before you go</legend>
      <p class="muted">By placing your order you agree to our terms of sale. We use your details only to process and deliver this order. You can return any item within 30 days of delivery for a full refund. Items must be unused and in their original packaging.</p>
      <label>${phoneLabel}<input id="phone" name="phone" type="tel" autocomplete="tel" ${phoneRequired ? "required" : ""}></label>
      <p class="field-error" id="phone-error" hidden>Please enter a phone number.</p>
    </fieldset>
  </form>
  <aside class="summary sticky">
    <h2>Order summary</h2>
    <div id="summary-lines"></div>
    <div class="coupon">
      <label for="coupon-input">Coupon code</label>
      <div class="coupon-row"><input id="coupon-input" name="coupon" autocomplete="off"><button type="button" class="btn btn-small" id="coupon-apply">Apply</button></div>
      <p class="coupon-message" id="coupon-message" aria-live="polite"></p>
    </div>
    <p class="summary-row"><span>Subtotal</span><span id="checkout-subtotal">$0.00</span></p>
    <p class="summary-row"><span>Discount</span><span id="checkout-discount">−$0.00</span></p>
    <p class="summary-row"><span>Shipping</span><span id="checkout-shipping">$6.00</span></p>
    <p class="summary-row total"><span>Total</span><span id="checkout-total">$0.00</span></p>
    <button class="btn btn-primary btn-wide" id="place-order" type="button">Place order</button>
    <p class="muted secure">Secure checkout · SSL encrypted</p>
  </aside>
</div>`,
  });
}

export function signInPage(settings: AnalyticsSettings, next: string): string {
  return layout(settings, {
    title: "Sign in",
    page: "sign-in",
    main: `<div class="narrow">
<h1>Sign in</h1>
<div id="sign-in-banner" class="banner" hidden></div>
<form id="sign-in-form" class="stack" novalidate>
  <label>Email<input id="sign-in-email" name="email" type="email" autocomplete="username" required></label>
  <label>Password<input id="sign-in-password" name="password" type="password" autocomplete="current-password" required></label>
  <button class="btn btn-primary btn-wide" id="sign-in-submit" type="submit">Sign in</button>
</form>
<p class="muted"><a href="/help/contact">Forgot your password?</a> · <a id="guest-link" href="${escapeHtml(next)}">Continue as guest</a></p>
</div>`,
    data: { next },
  });
}

export function confirmationPage(settings: AnalyticsSettings, orderId: string): string {
  return layout(settings, {
    title: "Order confirmed",
    page: "confirmation",
    main: `<div class="narrow" id="confirmation"></div>`,
    data: { orderId },
  });
}

export function notFoundPage(settings: AnalyticsSettings): string {
  return layout(settings, {
    title: "Not found",
    page: "not-found",
    main: `<div class="narrow"><h1>We couldn't find that page</h1><p><a href="/">Back to the shop</a></p></div>`,
  });
}

export function productSummaries(products: Product[]): Array<Record<string, unknown>> {
  return products.map((p) => ({
    id: p.id,
    slug: p.slug,
    name: p.name,
    price: p.price,
    category: p.category,
    colourways: p.colourways.length,
    image: productArt(p.art, p.colourways[0]?.hex ?? "#ccc", p.name),
  }));
}
