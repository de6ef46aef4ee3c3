"""Admin for reader corrections (the corrections issue)."""
