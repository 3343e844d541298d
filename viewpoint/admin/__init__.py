"""Administration: staff accounts, roles and teams. No child-level data."""
