"""Libraries shared by the built-in plugins, which are not plugins themselves: ``datasets`` (offline
training data), ``decoder`` (the decoder-only transformer: torch model, training loop, KV-cache
export), ``diffusion`` (noise schedule, DDIM loop, UNet blocks, export), ``sentence_embedding``
(all-MiniLM-L6-v2 on ONNX Runtime), ``text_metrics`` (tokens, n-grams, PII and word lists of the
text evaluators) and ``image_options`` (option types of the image plugins)."""
