/* Cart: lines from the visit's cart, quantity changes confirmed by the API, shipping estimate. */
(function () {
  var linesNode = document.getElementById("cart-lines");
  var subtotalNode = document.getElementById("cart-subtotal");
  var banner = document.getElementById("cart-banner");
  var checkoutButton = document.getElementById("checkout-button");

  function render() {
    var lines = Shop.readCart();
    if (lines.length === 0) {
      linesNode.innerHTML = '<div class="empty-cart"><p>Your cart is empty.</p><a class="btn" href="/">Browse the shop</a></div>';
      checkoutButton.classList.add("disabled");
    } else {
      linesNode.innerHTML = lines
        .map(function (line, index) {
          return (
            '<div class="cart-line" data-index="' +
            index +
            '">' +
            '<div class="line-art">' +
            line.image +
            "</div>" +
            '<div class="line-info"><a href="/product/' +
            line.slug +
            '">' +
            line.name +
            '</a><span class="muted">' +
            line.colour +
            "</span>" +
            '<button type="button" class="link remove">Remove</button></div>' +
            '<div class="stepper"><button type="button" class="step minus" aria-label="Decrease quantity">−</button>' +
            '<span class="line-qty">' +
            line.quantity +
            '</span><button type="button" class="step plus" aria-label="Increase quantity">+</button></div>' +
            '<span class="line-total">' +
            Shop.money(line.price * line.quantity) +
            "</span></div>"
          );
        })
        .join("");
      checkoutButton.classList.remove("disabled");
    }
    subtotalNode.textContent = Shop.money(Shop.cartSubtotal());
  }

  function changeQuantity(index, delta, button) {
    var lines = Shop.readCart();
    var line = lines[index];
    if (!line) return;
    var quantity = Math.max(1, Math.min(9, line.quantity + delta));
    var row = button.closest(".cart-line");
    row.classList.add("updating");
    Shop.api("PATCH", "/api/cart/line", { sku: line.sku, quantity: quantity }).then(function (result) {
      row.classList.remove("updating");
      if (!result.ok) {
        visitLog.mark("api-failure", { path: "/api/cart/line", status: result.status });
        Shop.showBanner(banner, "error", "<strong>We couldn't update your cart.</strong> Please try again in a moment.");
        Shop.reportError(Shop.ApiError("PATCH", "/api/cart/line", result.status, result.data.error), { sku: line.sku });
        return;
      }
      Shop.hideBanner(banner);
      line.quantity = quantity;
      Shop.writeCart(lines);
      render();
    });
  }

  linesNode.addEventListener("click", function (event) {
    var target = event.target;
    var row = target.closest(".cart-line");
    if (!row) return;
    var index = Number(row.dataset.index);
    if (target.classList.contains("plus")) changeQuantity(index, 1, target);
    else if (target.classList.contains("minus")) changeQuantity(index, -1, target);
    else if (target.classList.contains("remove")) {
      var lines = Shop.readCart();
      var removed = lines.splice(index, 1)[0];
      Shop.writeCart(lines);
      Shop.track("removed from cart", { sku: removed && removed.sku });
      render();
    }
  });

  var estimate = document.getElementById("shipping-estimate");
  var panel = document.getElementById("shipping-panel");
  // The dead-click issue: styled as a button, but the panel toggle was lost.
  if (!visitLog.has("shipping-estimate-dead")) {
    estimate.addEventListener("click", function () {
      document.getElementById("shipping-standard").textContent = Shop.cartSubtotal() >= 50 ? "Free" : "$6.00";
      panel.hidden = !panel.hidden;
    });
  }

  render();
  Shop.track("cart viewed", { lines: Shop.readCart().length, subtotal: Shop.cartSubtotal() });
})();
