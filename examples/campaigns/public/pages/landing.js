/* The marketing page: links only. */
