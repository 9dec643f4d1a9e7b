/* Search: results come from the API; a failure shows a banner with "Try again". */
(function () {
  var data = Shop.pageData();
  var status = document.getElementById("search-status");
  var results = document.getElementById("search-results");
  var headerInput = document.getElementById("header-search-input");
  if (headerInput) headerInput.value = data.query || "";

  function search(query) {
    var path = "/api/search?q=" + encodeURIComponent(query);
    var started = Date.now();
    results.innerHTML = "";
    status.className = "search-status";
    status.innerHTML = Shop.spinner("Searching for “" + escapeText(query) + "”…");
    var slowNotice = setTimeout(function () {
      var text = status.querySelector(".spinner-text");
      if (text) text.textContent = "This is taking longer than usual…";
    }, 5000);
    Shop.api("GET", path).then(function (result) {
      clearTimeout(slowNotice);
      if (!result.ok) {
        visitLog.mark("api-failure", { path: "/api/search", status: result.status });
        Shop.showBanner(
          status,
          "error",
          "<strong>Something went wrong.</strong> We couldn't load results for “" +
            escapeText(query) +
            '”. Please try again. <button type="button" class="btn btn-small" id="search-retry">Try again</button>',
        );
        document.getElementById("search-retry").addEventListener("click", function () {
          search(query);
        });
        Shop.reportError(Shop.ApiError("GET", "/api/search", result.status, result.data.error), { query: query });
        return;
      }
      var products = result.data.products;
      status.innerHTML =
        products.length === 0
          ? "No products match “" + escapeText(query) + "”. Try a shorter word."
          : products.length + (products.length === 1 ? " result" : " results") + " for “" + escapeText(query) + "”";
      results.innerHTML = products.map(Shop.productCard).join("");
      visitLog.mark("content-ready", { list: "search" });
      Shop.track("search performed", { query: query, results: products.length, load_ms: Date.now() - started });
    });
  }

  function escapeText(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  if (data.query) search(data.query);
  else status.textContent = "Type what you are looking for.";
})();
