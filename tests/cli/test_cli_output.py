"""CLI tables as a terminal shows them: a CJK character or an emoji takes two columns, so widths
and cuts are measured in terminal cells, not in characters."""

from __future__ import annotations

from rich.cells import cell_len

from pylee_tui.cli.output import cell
from tests.cli.expect import ok
from tests.support import CliRunner


def column_of(line: str, text: str) -> int:
    """The terminal column where `text` starts in `line`."""
    return cell_len(line[: line.index(text)])


def test_org_list_columns_line_up_after_wide_names(cli: CliRunner) -> None:
    ok(cli("org", "create", "東京チーム", "--slug", "tokyo"))
    ok(cli("org", "create", "Rocket 🚀 Lab", "--slug", "rocket"))
    ok(cli("org", "create", "Acme", "--slug", "acme"))
    header, *rows = ok(cli("org", "list")).splitlines()
    assert len(rows) == 3
    role_column = column_of(header, "ROLE")
    assert [column_of(row, "admin") for row in rows] == [role_column] * 3


def test_a_long_wide_description_is_cut_to_the_same_width_as_a_latin_one(
    cli: CliRunner,
) -> None:
    ok(cli("org", "create", "Acme", "--slug", "acme"))
    ok(cli("registry", "create", "Wide", "--org", "acme", "--description", "東" * 100))
    ok(cli("registry", "create", "Latin", "--org", "acme", "--description", "x" * 100))
    _header, *rows = ok(cli("registry", "list", "--org", "acme")).splitlines()
    assert len(rows) == 2
    assert all(row.endswith("…") for row in rows)
    assert cell_len(rows[0]) == cell_len(rows[1])


def test_cell_cuts_by_terminal_columns() -> None:
    assert cell("東京都庁舎ビル", 6) == "東京 …"  # a wide character never straddles the cut
    assert cell_len(cell("🚀" * 30, 10)) == 10
    assert cell("short", 10) == "short"
    assert cell("x" * 12, 10) == "x" * 9 + "…"
