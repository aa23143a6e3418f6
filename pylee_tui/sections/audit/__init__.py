"""Section 5: the audit log."""
