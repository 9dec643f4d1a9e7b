/* Nothing to do on the not-found page. */
