"""Reusable widgets: the onboarding timeline, the Markdown split editor and friends."""
