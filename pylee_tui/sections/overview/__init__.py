"""Section 1: the org overview beside its onboarding timeline."""
