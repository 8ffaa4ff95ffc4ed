"""Built-in plugins, each registered through the ``aigc`` entry point group."""
