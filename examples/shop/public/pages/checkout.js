/* Checkout: contact, address, payment, coupon, and "Place order". */
(function () {
  var form = document.getElementById("checkout-form");
  var banner = document.getElementById("checkout-banner");
  var placeOrder = document.getElementById("place-order");
  var couponInput = document.getElementById("coupon-input");
  var couponMessage = document.getElementById("coupon-message");
  var discountPercent = 0;

  function shipping() {
    var express = form.querySelector('input[name="delivery"]:checked').value === "express";
    return (Shop.cartSubtotal() >= 50 ? 0 : 6) + (express ? 12 : 0);
  }

  function totals() {
    var subtotal = Shop.cartSubtotal();
    var discount = Math.round(subtotal * discountPercent) / 100;
    return { subtotal: subtotal, discount: discount, shipping: shipping(), total: subtotal - discount + shipping() };
  }

  function renderSummary() {
    var lines = Shop.readCart();
    document.getElementById("summary-lines").innerHTML = lines
      .map(function (l) {
        return '<p class="summary-row small"><span>' + l.quantity + " × " + l.name + " (" + l.colour + ")</span><span>" + Shop.money(l.price * l.quantity) + "</span></p>";
      })
      .join("");
    var t = totals();
    document.getElementById("checkout-subtotal").textContent = Shop.money(t.subtotal);
    document.getElementById("checkout-discount").textContent = "−" + Shop.money(t.discount);
    document.getElementById("checkout-shipping").textContent = t.shipping === 0 ? "Free" : Shop.money(t.shipping);
    document.getElementById("checkout-total").textContent = Shop.money(t.total);
  }

  form.addEventListener("change", renderSummary);

  document.getElementById("coupon-apply").addEventListener("click", function () {
    var code = couponInput.value.trim();
    couponMessage.className = "coupon-message";
    couponMessage.textContent = "Checking…";
    Shop.api("POST", "/api/coupon", { code: code }).then(function (result) {
      if (result.ok) {
        discountPercent = result.data.percentOff;
        couponMessage.className = "coupon-message ok";
        couponMessage.textContent = result.data.code + " applied: " + result.data.percentOff + "% off";
        Shop.track("coupon applied", { code: result.data.code });
      } else {
        couponMessage.className = "coupon-message error";
        couponMessage.textContent = result.data.error || "Invalid code";
        Shop.track("coupon rejected", { status: result.status });
      }
      renderSummary();
    });
  });

  function missingFields() {
    var missing = [];
    form.querySelectorAll("input[required]").forEach(function (input) {
      var empty = input.value.trim() === "";
      input.classList.toggle("invalid", empty);
      if (empty) missing.push(input.name);
    });
    document.getElementById("phone-error").hidden = missing.indexOf("phone") < 0;
    return missing;
  }

  function orderFromForm() {
    var t = totals();
    return {
      email: form.email.value,
      name: document.getElementById("full-name").value,
      delivery: form.querySelector('input[name="delivery"]:checked').value,
      lines: Shop.readCart().map(function (l) {
        return { name: l.name, colour: l.colour, quantity: l.quantity, price: l.price };
      }),
      subtotal: t.subtotal,
      total: t.total,
    };
  }

  placeOrder.addEventListener("click", function () {
    var missing = missingFields();
    if (missing.length > 0) {
      // The message is shown by the button; which field is missing is only marked on the field itself.
      Shop.showBanner(banner, "error", "Please complete all required fields.");
      var near = document.getElementById("place-order-error") || document.createElement("p");
      near.id = "place-order-error";
      near.className = "field-error";
      near.textContent = "Please complete all required fields.";
      placeOrder.insertAdjacentElement("afterend", near);
      Shop.track("checkout validation failed", { missing: missing.length });
      return;
    }
    var order = orderFromForm();
    // The bug: a refactor moved totals into `order.summary` in one place but not the other.
    var total = visitLog.has("place-order-throws") ? order.summary.total : order.total;
    placeOrder.disabled = true;
    placeOrder.innerHTML = '<span class="spinner small" aria-hidden="true"></span> Placing order…';
    Shop.api("POST", "/api/orders", Object.assign({}, order, { total: total })).then(function (result) {
      if (!result.ok) {
        placeOrder.disabled = false;
        placeOrder.textContent = "Place order";
        Shop.showBanner(banner, "error", "We couldn't place your order. You have not been charged.");
        Shop.reportError(Shop.ApiError("POST", "/api/orders", result.status, result.data.error));
        return;
      }
      Shop.track("order completed", { order_id: result.data.id, total: total, items: order.lines.length });
      Shop.writeCart([]);
      location.href = "/checkout/confirmation?order=" + encodeURIComponent(result.data.id);
    });
  });

  var user = Shop.currentUser();
  if (user) form.email.value = user.email;
  renderSummary();
  Shop.track("checkout started", { subtotal: Shop.cartSubtotal(), lines: Shop.readCart().length });
})();
