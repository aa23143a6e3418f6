"""The README's promises that can drift: the two set-up commands and the org screen's keys."""

from __future__ import annotations

from pathlib import Path

from pylee_tui.dialogs.org_switcher import OrgSwitcherScreen
from pylee_tui.screens.org import SECTIONS, OrgScreen

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SYMBOLS = {"right_square_bracket": "]", "left_square_bracket": "[", "slash": "/"}


def test_readme_states_the_two_setup_commands():
    assert "make run" in README
    assert "make test" in README


def test_every_binding_has_an_id_and_a_description():
    for screen in (OrgScreen, OrgSwitcherScreen):
        for binding in screen.BINDINGS:
            assert binding.id, binding
            assert binding.description, binding


def test_readme_key_table_lists_every_org_screen_key():
    table = README.split("### Keys", 1)[1].split("## CLI reference", 1)[0]
    for binding in OrgScreen.BINDINGS:
        for key in binding.key.split(","):
            shown = SYMBOLS.get(key, key)
            if shown.isdigit():  # the sections, one row: `1` … the last
                assert f"`1` … `{len(SECTIONS)}`" in table and int(shown) <= len(SECTIONS)
            else:
                assert f"`{shown}`" in table, f"README keys table misses {shown!r}"
