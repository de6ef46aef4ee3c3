"""Admin for search gaps (the search issue)."""
