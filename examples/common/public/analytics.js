/*
 * posthog-js, configured the way a product team would: autocapture, exceptions, dead clicks, page
 * leave, heatmaps, replay. The page sets `window.DEMO_ANALYTICS` ({apiHost, token}) before it.
 */
(function () {
  var settings = window.DEMO_ANALYTICS;
  if (!window.posthog || !settings) return;
  window.posthog.init(settings.token, {
    api_host: settings.apiHost,
    // Under puppeteer the client sees a bot user agent and would drop every event.
    opt_out_useragent_filter: true,
    capture_exceptions: true,
    capture_dead_clicks: true,
    capture_pageleave: true,
    capture_pageview: true,
    enable_heatmaps: true,
    autocapture: true,
    // Keeps the session id across the pages of one visit, and nothing across visits.
    persistence: "sessionStorage",
    person_profiles: "identified_only",
  });
})();
