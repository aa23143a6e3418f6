"""Section 3: members and invitations."""
