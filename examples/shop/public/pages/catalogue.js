/* Catalogue: the product grid loads from the API behind a spinner. */
(function () {
  var data = Shop.pageData();
  var grid = document.getElementById("product-grid");
  var started = Date.now();
  grid.innerHTML = Shop.spinner("Loading products…");
  // A long wait gets a second message, as real shops do.
  var stillLoading = setTimeout(function () {
    var text = grid.querySelector(".spinner-text");
    if (text) text.textContent = "Still loading, thanks for your patience…";
  }, 5000);

  var path = "/api/products" + (data.category ? "?category=" + encodeURIComponent(data.category) : "");
  Shop.api("GET", path).then(function (result) {
    clearTimeout(stillLoading);
    if (!result.ok) {
      grid.innerHTML = '<p class="muted">Products could not be loaded. Please refresh the page.</p>';
      Shop.reportError(Shop.ApiError("GET", path, result.status, result.data.error));
      return;
    }
    grid.innerHTML = result.data.products.map(Shop.productCard).join("");
    visitLog.mark("content-ready", { list: "catalogue" });
    Shop.track("product list viewed", { category: data.category || "all", products: result.data.products.length, load_ms: Date.now() - started });
  });
})();
