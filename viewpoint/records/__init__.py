"""What is on record about a child, read the same way by every screen that shows it (the
worker's pages and PDF, the API for the council's other systems)."""
