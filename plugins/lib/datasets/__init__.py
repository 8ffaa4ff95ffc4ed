"""Offline training data shared by the built-in plugins (training time only)."""
