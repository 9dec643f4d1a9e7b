/* Product page: colour, quantity, add to cart, zoom, and "You may also like". */
(function () {
  var product = Shop.pageData().product;
  var swatches = document.querySelectorAll(".swatch");
  var colourName = document.getElementById("colour-name");
  var qty = document.getElementById("qty");
  var addButton = document.getElementById("add-to-cart");
  var feedback = document.getElementById("add-feedback");

  Shop.track("product viewed", { product_id: product.id, name: product.name, price: product.price });

  swatches.forEach(function (swatch) {
    swatch.addEventListener("click", function () {
      swatches.forEach(function (s) {
        s.classList.toggle("selected", s === swatch);
      });
      colourName.textContent = swatch.dataset.colour;
      document.querySelectorAll(".art-variant").forEach(function (art) {
        art.hidden = art.dataset.colour !== swatch.dataset.colour;
      });
    });
  });

  document.getElementById("qty-minus").addEventListener("click", function () {
    qty.value = String(Math.max(1, Number(qty.value) - 1));
  });
  document.getElementById("qty-plus").addEventListener("click", function () {
    qty.value = String(Math.min(9, Number(qty.value) + 1));
  });

  function selectedSwatch() {
    return document.querySelector(".swatch.selected") || swatches[0];
  }

  function addToCart() {
    var swatch = selectedSwatch();
    // The bug: the colour is read from `data-color`, which the markup does not have, so no colourway matches.
    var colour = visitLog.has("add-to-cart-throws") ? swatch.dataset.color : swatch.dataset.colour;
    var colourway = product.colourways.find(function (c) {
      return c.name === colour;
    });
    var line = { sku: colourway.sku, slug: product.slug, name: product.name, colour: colourway.name, price: product.price, quantity: Number(qty.value) || 1 };
    var art = document.querySelector(".art-variant:not([hidden])");
    line.image = art ? art.innerHTML : "";

    var lines = Shop.readCart();
    var existing = lines.find(function (l) {
      return l.sku === line.sku;
    });
    if (existing) existing.quantity += line.quantity;
    else lines.push(line);
    Shop.writeCart(lines);

    addButton.textContent = "Added ✓";
    addButton.classList.add("done");
    setTimeout(function () {
      addButton.textContent = "Add to cart";
      addButton.classList.remove("done");
    }, 1800);
    feedback.innerHTML = line.quantity + " × " + product.name + " (" + colourway.name + ') added. <a href="/cart">View cart</a>';
    Shop.toast("Added to your cart · <a href='/cart'>View cart</a>");
    Shop.track("added to cart", { product_id: product.id, sku: line.sku, quantity: line.quantity, price: product.price });
    syncCart(lines);
  }

  // Saves the cart server-side for "continue on another device"; a failure is invisible to the user.
  function syncCart(lines) {
    Shop.api("POST", "/api/cart/sync", {
      lines: lines.map(function (l) {
        return { sku: l.sku, quantity: l.quantity };
      }),
    }).then(function (result) {
      if (result.ok) return;
      visitLog.mark("api-failure", { path: "/api/cart/sync", status: result.status });
      Shop.reportError(Shop.ApiError("POST", "/api/cart/sync", result.status, result.data.error));
    });
  }

  addButton.addEventListener("click", addToCart);

  var zoom = document.getElementById("zoom-badge");
  var lightbox = document.getElementById("lightbox");
  // The dead-click issue: the badge is styled as a button but the lightbox was never wired up.
  if (!visitLog.has("zoom-dead")) {
    zoom.addEventListener("click", function () {
      lightbox.hidden = false;
    });
  }
  document.getElementById("lightbox-close").addEventListener("click", function () {
    lightbox.hidden = true;
  });

  var section = document.getElementById("recommendations");
  var grid = document.getElementById("recommendation-grid");
  var path = "/api/recommendations?product=" + encodeURIComponent(product.slug);
  Shop.api("GET", path).then(function (result) {
    if (!result.ok) {
      visitLog.mark("api-failure", { path: "/api/recommendations", status: result.status });
      Shop.reportError(Shop.ApiError("GET", "/api/recommendations", result.status, result.data.error));
      return;
    }
    grid.innerHTML = result.data.products.map(Shop.productCard).join("");
    section.hidden = false;
  });
})();
