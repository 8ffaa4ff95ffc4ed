"""Libraries shared by the built-in plugins, which are not plugins themselves: ``datasets`` (offline
training data), ``decoder`` (the decoder-only transformer: torch model, training loop, KV-cache
export), ``text_metrics`` (tokens, n-grams, PII and word lists of the text evaluators) and
``image_options`` (option types of the image plugins)."""
