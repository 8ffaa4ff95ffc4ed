"""OpenAI-compatible endpoints served next to aigc's own API: the request shapes that existing
OpenAI clients send, answered by the same engine, keys, limits and store."""
