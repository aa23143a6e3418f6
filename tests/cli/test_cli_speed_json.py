"""`--json` lists written as they are read: `stream_json` writes byte for byte what `emit_json`
writes for the same rows (so scripts reading the output see no change), and `audit --json`
starts writing before it has read the whole log."""

from __future__ import annotations

import io
import json
import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pylee_tui.cli import output
from pylee_tui.cli.output import audit_json, emit_json, pretty_json, stream_json
from pylee_tui.services import Services
from pylee_tui.services import audit as audit_module
from pylee_tui.store import Store
from tests.support import ANN, BOB, CliRunner, Clock

# text as stored data can hold it: controls, DEL, C1, line separators, bidi overrides, emoji,
# CJK, lone surrogates, quotes and backslashes
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from('\x00\x1b\n\t"\\\x7f\x85\x9b\u2028\u2029\u202e\u2066\ud800é漢🚀'),
    ),
    max_size=12,
)
EXACT_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    TEXT,
)
SCALARS = st.one_of(EXACT_SCALARS, st.floats(allow_nan=True, allow_infinity=True))


def values(scalars: st.SearchStrategy) -> st.SearchStrategy:
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.tuples(inner, inner),
            st.dictionaries(TEXT, inner, max_size=4),
            st.dictionaries(st.integers(min_value=-5, max_value=5), inner, max_size=3),
        ),
        max_leaves=12,
    )


VALUES = values(SCALARS)
# what the store holds: everything but floats (which orjson writes in its own, equally valid way)
EXACT_VALUES = values(EXACT_SCALARS)
ROWS = st.lists(st.one_of(st.dictionaries(TEXT, VALUES, max_size=6), VALUES), max_size=7)


def emitted(rows: list) -> str:
    out = io.StringIO()
    emit_json(rows, out)
    return out.getvalue()


def streamed(rows: list) -> str:
    out = io.StringIO()
    stream_json(iter(rows), out)
    return out.getvalue()


# 100 drawn (generating them is most of the time), and the chunk's edges always: none, a whole
# chunk, a chunk and one more, and a chunk orjson refuses (an integer past 64 bits, a lone
# surrogate: written row by row) beside one it takes
@settings(max_examples=100, deadline=None)
@given(rows=ROWS, chunk=st.integers(min_value=1, max_value=4))
@example(rows=[], chunk=1)
@example(rows=[1, {"a": [2]}], chunk=2)
@example(rows=[1, {"a": [2]}, "x"], chunk=2)
@example(rows=[{"a": 2**70}, "\ud800", 1.5, float("nan"), {"b": -0.0}], chunk=2)
def test_a_streamed_array_is_byte_for_byte_the_whole_one(rows, chunk) -> None:
    original = output.JSON_CHUNK
    output.JSON_CHUNK = chunk
    try:
        assert streamed(rows) == emitted(rows)
    finally:
        output.JSON_CHUNK = original


@settings(max_examples=300, deadline=None)
@given(value=EXACT_VALUES, depth=st.integers(min_value=0, max_value=3))
def test_a_value_nested_at_any_depth_is_what_json_writes(value, depth) -> None:
    whole = json.dumps([value], indent=2, sort_keys=True, ensure_ascii=False)
    if depth == 1:
        assert "[\n  " + pretty_json(value, 1) + "\n]" == whole
    expected = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    assert pretty_json(value, depth) == expected.replace("\n", "\n" + "  " * depth)


@pytest.mark.parametrize(
    ("value", "written"),
    [(1.5e-7, "1.5e-7"), (1e16, "1e+16"), (0.1, "0.1"), (float("nan"), "null"), (-0.0, "-0.0")],
)
def test_floats_are_written_as_valid_json(value, written) -> None:
    assert pretty_json({"x": value}) == '{\n  "x": ' + written + "\n}"
    assert json.loads(emitted([value]))[0] == (None if math.isnan(value) else value)


@pytest.mark.parametrize(
    "rows",
    [[], [{}], [[]], [{"a": []}], [1, "x", None], [{"b": 1, "a": {"d": [1, {}], "c": "é"}}]],
)
def test_small_and_empty_arrays(rows) -> None:
    assert streamed(rows) == emitted(rows)


def test_what_json_cannot_write_is_refused_as_before() -> None:
    with pytest.raises(TypeError):
        streamed([{"a": object()}])
    with pytest.raises(TypeError):
        emitted([{"a": object()}])
    assert streamed([math.pi]) == emitted([math.pi])


# --- audit --json ----------------------------------------------------------------------------


@pytest.fixture
def logged(cli: CliRunner) -> CliRunner:
    cli.db.parent.mkdir(parents=True, exist_ok=True)
    store = Store(cli.db)
    clock = Clock()
    services = Services(store, clock=clock)
    try:
        services.orgs.create(ANN, "Acme")
        services.members.invite(ANN, "acme", BOB)
        services.members.accept(BOB, "acme")
        with store.transaction() as db:
            for n in range(30):
                clock.advance(minutes=1)
                services.audit.record(
                    db,
                    ANN if n % 3 else BOB,
                    {"id": 1, "slug": "acme"},
                    "secret.set" if n % 2 else "registry.export",
                    "registry",
                    n,
                    f"tools\x1b[31m‮{n}",  # what a label may hold: shown escaped
                    {"servers": [f"s{n}", "é"], "client": "vscode", "n": n, "note": None},
                )
    finally:
        store.close()
    return cli


def as_before(cli: CliRunner, org: str | None, **where: str) -> str:
    """What `audit --json` wrote when it built the whole list first."""
    store = Store(cli.db)
    try:
        audit = Services(store).audit
        filters = audit_module.AuditFilter(**where)
        events = (
            audit.list_for_org(ANN, org, where=filters)
            if org
            else audit.list_by_actor(ANN, where=filters)
        )
        return emitted([audit_json(e) for e in events])
    finally:
        store.close()


@pytest.mark.parametrize(
    ("argv", "org", "where"),
    [
        (("--org", "acme"), "acme", {}),
        (("--org", "acme", "--action", "secret."), "acme", {"action": "secret."}),
        (("--org", "acme", "--actor", BOB), "acme", {"by": BOB}),
        (("--org", "acme", "--since", "2025-05-16T10:00"), "acme", {"since": "2025-05-16T10:00"}),
        ((), None, {}),
        (("--action", "nothing."), None, {"action": "nothing."}),
    ],
)
def test_audit_json_is_the_json_it_always_was(logged, monkeypatch, argv, org, where) -> None:
    monkeypatch.setattr(audit_module, "PAGE", 7)
    monkeypatch.setattr(output, "JSON_CHUNK", 4)
    result = logged("audit", "--json", *argv)
    assert result.code == 0, result.err
    assert result.out == as_before(logged, org, **where)
    assert "\x1b" not in result.out and "\u202e" not in result.out
    json.loads(result.out)


def test_audit_json_writes_before_it_has_read_the_whole_log(logged, monkeypatch) -> None:
    monkeypatch.setattr(audit_module, "PAGE", 5)
    monkeypatch.setattr(output, "JSON_CHUNK", 5)
    written_at_each_page: list[int] = []
    out = io.StringIO()
    tuples = Store.tuples

    def page(self, *args, **kwargs):
        written_at_each_page.append(len(out.getvalue()))
        return tuples(self, *args, **kwargs)

    monkeypatch.setattr(Store, "tuples", page)
    from pylee_tui.cli import main

    assert (
        main(["--db", str(logged.db), "--as", ANN, "audit", "--json", "--org", "acme"], out=out)
        == 0
    )
    assert len(written_at_each_page) >= 7
    assert written_at_each_page[0] == 0
    assert written_at_each_page[2] > written_at_each_page[1] > 0  # rows went out page by page
