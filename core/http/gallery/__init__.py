"""The gallery: server-rendered pages (Jinja2 templates, one stylesheet, no JavaScript build)."""
