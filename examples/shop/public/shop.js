/* Shared by every page: cart, API calls, error reporting, header widgets, toasts, chat bubble. */
(function () {
  var CART_KEY = "fh:cart";
  var USER_KEY = "fh:user";
  var Fernhill = window.Fernhill;

  function pageData() {
    var node = document.getElementById("page-data");
    return node ? JSON.parse(node.textContent || "{}") : {};
  }

  function money(amount) {
    return "$" + amount.toFixed(2);
  }

  function readCart() {
    try {
      return JSON.parse(sessionStorage.getItem(CART_KEY) || "[]");
    } catch (e) {
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
    } catch (e) {
      return null;
    }
  }

  function setUser(user) {
    sessionStorage.setItem(USER_KEY, JSON.stringify(user));
  }

  function ApiError(method, path, status, detail) {
    var error = new Error(method + " " + path + " failed with " + status + (detail ? ": " + detail : ""));
    error.name = "ApiError";
    error.status = status;
    return error;
  }

  /** fetch with JSON in and out; resolves to {ok, status, data} and never rejects on HTTP errors. */
  function api(method, path, body) {
    var init = { method: method, headers: { accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          return { ok: response.ok, status: response.status, data: data };
        });
    });
  }

  /** What an error-tracking integration does: report handled errors with a little context. */
  function reportError(error, context) {
    if (window.posthog && window.posthog.captureException) window.posthog.captureException(error, context || {});
    if (window.console) console.error(error);
  }

  function track(event, properties) {
    if (window.posthog) window.posthog.capture(event, properties || {});
  }

  var toastTimer = null;
  function toast(html) {
    var node = document.getElementById("toast");
    if (!node) {
      node = document.createElement("div");
      node.id = "toast";
      node.className = "toast";
      node.setAttribute("role", "status");
      document.body.appendChild(node);
    }
    node.innerHTML = html;
    node.classList.add("visible");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () {
      node.classList.remove("visible");
    }, 3200);
  }

  function showBanner(node, kind, html) {
    node.className = "banner banner-" + kind;
    node.innerHTML = html;
    node.hidden = false;
  }

  function hideBanner(node) {
    node.hidden = true;
    node.innerHTML = "";
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

  function spinner(text) {
    return '<div class="spinner-wrap"><span class="spinner" aria-hidden="true"></span><span class="spinner-text">' + text + "</span></div>";
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
    if (pill && popover && !Fernhill.has("promo-pill-dead")) {
      pill.addEventListener("click", function () {
        popover.hidden = !popover.hidden;
      });
    }

    setTimeout(initCurrencySwitcher, 600);
  }

  function initCurrencySwitcher() {
    var button = document.querySelector(".currency-switch");
    // The bug: a renamed attribute makes the menu lookup return null, on every page load.
    var menu = Fernhill.has("currency-widget-crash") ? document.querySelector("[data-currency-menu]") : button;
    if (Fernhill.has("currency-widget-crash")) Fernhill.mark("widget-error", { widget: "currency" });
    var rates = JSON.parse(menu.dataset.rates || '{"USD":1}');
    button.title = "Prices in " + Object.keys(rates)[0];
  }

  // Chat bubble: a third-party-style widget that boots after the page settles.
  function initChat() {
    var bubble = document.createElement("button");
    bubble.type = "button";
    bubble.className = "chat-bubble";
    bubble.id = "chat-bubble";
    bubble.setAttribute("aria-label", "Chat with us");
    bubble.textContent = "Chat with us";
    var panel = document.createElement("div");
    panel.className = "chat-panel";
    panel.hidden = true;
    panel.innerHTML = "<strong>Fernhill support</strong><p>Hi! Questions about an order or a product? We usually answer within a few minutes.</p><textarea rows='2' placeholder='Type a message'></textarea>";
    bubble.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
    });
    document.body.appendChild(panel);
    document.body.appendChild(bubble);

    loadChatSettings().then(function (settings) {
      if (Fernhill.has("chat-widget-crash")) Fernhill.mark("widget-error", { widget: "chat" });
      // The bug: the settings payload moved `greeting` under `messages`; this rejects unhandled.
      var greeting = Fernhill.has("chat-widget-crash") ? settings.greeting.text : settings.messages.greeting.text;
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

  window.Shop = {
    pageData: pageData,
    money: money,
    readCart: readCart,
    writeCart: writeCart,
    cartCount: cartCount,
    cartSubtotal: cartSubtotal,
    currentUser: currentUser,
    setUser: setUser,
    api: api,
    ApiError: ApiError,
    reportError: reportError,
    track: track,
    toast: toast,
    showBanner: showBanner,
    hideBanner: hideBanner,
    productCard: productCard,
    spinner: spinner,
  };

  initHeader();
  initChat();
})();
