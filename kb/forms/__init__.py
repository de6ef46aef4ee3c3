"""Public forms, one module per area."""
