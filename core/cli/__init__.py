"""The ``aigc`` command line (Typer + Rich). Heavy modules are imported inside commands."""
