"""Reusable widgets and widget mixins: the Markdown split editor and safe viewer, the onboarding
timeline, the section and org bars, the footer, the path input, type-ahead, disabled keys."""
