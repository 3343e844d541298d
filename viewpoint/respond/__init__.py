"""What a child sees and does: getting in with a code, answering, finishing."""
