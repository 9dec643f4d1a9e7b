/* Order confirmation: order details load from the API behind a spinner. */
(function () {
  var orderId = Shop.pageData().orderId;
  var box = document.getElementById("confirmation");
  box.innerHTML = Shop.spinner("Loading your order…");
  var stillLoading = setTimeout(function () {
    var text = box.querySelector(".spinner-text");
    if (text) text.textContent = "Still working on it. Please don't refresh the page…";
  }, 5000);
  Shop.api("GET", "/api/orders/" + encodeURIComponent(orderId)).then(function (result) {
    clearTimeout(stillLoading);
    if (!result.ok) {
      box.innerHTML = "<h1>Thank you!</h1><p>Your order " + orderId + " was received. A confirmation email is on its way.</p>";
      return;
    }
    var order = result.data;
    box.innerHTML =
      '<div class="confirmed"><span class="check">✓</span><h1>Thank you' +
      (order.name ? ", " + order.name.split(" ")[0] : "") +
      "!</h1>" +
      "<p>Order <strong>" +
      order.id +
      "</strong> is confirmed. We'll email you when it ships.</p>" +
      order.lines
        .map(function (l) {
          return '<p class="summary-row small"><span>' + l.quantity + " × " + l.name + " (" + l.colour + ")</span><span>" + Shop.money(l.price * l.quantity) + "</span></p>";
        })
        .join("") +
      '<p class="summary-row total"><span>Total</span><span>' +
      Shop.money(order.total) +
      "</span></p>" +
      '<a class="btn" href="/" id="continue-shopping">Continue shopping</a></div>';
    visitLog.mark("content-ready", { list: "confirmation" });
  });
})();
