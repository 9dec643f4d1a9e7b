/*
 * Shared by every page of the shop: the cart, the signed-in user, toasts, product cards, header
 * widgets, the chat bubble; with the helpers every demo app has (`/common/page-helpers.js`), as
 * `window.Shop`.
 */
(function () {
  var CART_KEY = "fh:cart";
  var USER_KEY = "fh:user";
  var visitLog = window.visitLog;
  var helpers = window.PageHelpers;

  function money(amount) {
    return "$" + amount.toFixed(2);
  }

  function readCart() {
    try {
      return JSON.parse(sessionStorage.getItem(CART_KEY) || "[]");
    } catch {
      return [];
    }
  }

  function writeCart(lines) {
    sessionStorage.setItem(CART_KEY, JSON.stringify(lines));
    updateCartBadge();
  }

  function cartCount() {
    return readCart().reduce(function (n, line) {
      return n + line.quantity;
    }, 0);
  }

  function cartSubtotal() {
    return readCart().reduce(function (n, line) {
      return n + line.quantity * line.price;
    }, 0);
  }

  function updateCartBadge() {
    var badge = document.getElementById("cart-badge");
    if (!badge) return;
    var count = cartCount();
    badge.textContent = String(count);
    badge.classList.toggle("empty", count === 0);
  }

  function currentUser() {
    try {
      return JSON.parse(sessionStorage.getItem(USER_KEY) || "null");
    } catch {
      return null;
    }
  }

  function setUser(user) {
    sessionStorage.setItem(USER_KEY, JSON.stringify(user));
  }

  function toast(html) {
    helpers.toast(html, { html: true, durationMs: 3200 });
  }

  function productCard(p) {
    return (
      '<a class="product-card" href="/product/' +
      p.slug +
      '" data-product-id="' +
      p.id +
      '"><div class="card-art">' +
      p.image +
      '</div><span class="card-name">' +
      p.name +
      '</span><span class="card-meta"><span class="price">' +
      money(p.price) +
      "</span>" +
      (p.colourways > 1 ? '<span class="muted">' + p.colourways + " colours</span>" : "") +
      "</span></a>"
    );
  }

  // Header: signed-in name, cart badge, shipping promo pill, currency switcher.
  function initHeader() {
    updateCartBadge();
    var user = currentUser();
    var account = document.getElementById("account-link");
    if (user && account) {
      account.textContent = "Hi, " + user.name.split(" ")[0];
      account.setAttribute("href", "#account");
    } else if (account && location.pathname !== "/sign-in") {
      account.setAttribute("href", "/sign-in?next=" + encodeURIComponent(location.pathname + location.search));
    }

    var pill = document.getElementById("promo-pill");
    var popover = document.getElementById("promo-popover");
    // The dead-click issue: the pill keeps its button look but lost its handler in a redesign.
    if (pill && popover && !visitLog.has("promo-pill-dead")) {
      pill.addEventListener("click", function () {
        popover.hidden = !popover.hidden;
      });
    }

    setTimeout(initCurrencySwitcher, 600);
  }

  function initCurrencySwitcher() {
    var button = document.querySelector(".currency-switch");
    // The bug: a renamed attribute makes the menu lookup return null, on every page load.
    var menu = visitLog.has("currency-widget-crash") ? document.querySelector("[data-currency-menu]") : button;
    if (visitLog.has("currency-widget-crash")) visitLog.mark("widget-error", { widget: "currency" });
    var rates = JSON.parse(menu.dataset.rates || '{"USD":1}');
    button.title = "Prices in " + Object.keys(rates)[0];
  }

  // Chat bubble: a third-party-style widget that boots after the page settles.
  function initChat() {
    var bubble = helpers.floatingWidget({
      id: "chat-bubble",
      buttonClass: "chat-bubble",
      panelClass: "chat-panel",
      label: "Chat with us",
      text: "Chat with us",
      panelHtml:
        "<strong>Fernhill support</strong><p>Hi! Questions about an order or a product? We usually answer within a few minutes.</p><textarea rows='2' placeholder='Type a message'></textarea>",
    }).button;

    loadChatSettings().then(function (settings) {
      if (visitLog.has("chat-widget-crash")) visitLog.mark("widget-error", { widget: "chat" });
      // The bug: the settings payload moved `greeting` under `messages`; this rejects unhandled.
      var greeting = visitLog.has("chat-widget-crash") ? settings.greeting.text : settings.messages.greeting.text;
      bubble.title = greeting;
    });
  }

  function loadChatSettings() {
    return new Promise(function (resolve) {
      setTimeout(function () {
        resolve({ messages: { greeting: { text: "Hi! How can we help?" } } });
      }, 1200);
    });
  }

  // The helpers every demo app has, with the ones of this app.
  window.Shop = Object.assign({}, helpers, {
    money: money,
    readCart: readCart,
    writeCart: writeCart,
    cartCount: cartCount,
    cartSubtotal: cartSubtotal,
    currentUser: currentUser,
    setUser: setUser,
    toast: toast,
    productCard: productCard,
  });

  initHeader();
  initChat();
})();
