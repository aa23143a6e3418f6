"""fastjsonschema's fast check (server_json._fast_check) says what jsonschema says: a document
it calls valid is valid to jsonschema's Draft7Validator (no format checker), keyword by keyword
and on every seed, demo and mutated document; and the problems `validate` reports are
jsonschema's own, at the same paths, in the same order, as if jsonschema alone had validated.

Where the two differ (see DIFFERENCES), either fastjsonschema is the stricter (jsonschema then
decides, so nothing changes) or the bundled schema and the documents never meet the case."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from pylee_tui import server_json
from pylee_tui.server_json import schema, to_current, validate

DATA = Path(__file__).parents[1] / "data"
SEED = json.loads((DATA / "registry-seed-2025-05-16.json").read_text(encoding="utf-8"))
DEMO = json.loads(
    (Path(server_json.__file__).parents[1] / "data" / "demo_servers.json").read_text("utf-8")
)
PLAIN = Draft7Validator(schema())


@contextmanager
def plain_jsonschema() -> Iterator[None]:
    """validate() with jsonschema alone: no fast check, no `$ref` skipped."""
    saved = server_json._fast_check, server_json._validator
    server_json._fast_check = lambda ref="#": lambda document: False
    server_json._validator = lambda: PLAIN
    try:
        yield
    finally:
        server_json._fast_check, server_json._validator = saved


def assert_same_as_jsonschema(document: Any, *, exactly: bool = True) -> None:
    fast = server_json._fast_check()(document)
    plain = PLAIN.is_valid(document)
    if exactly:
        assert fast == plain
    else:  # fastjsonschema may be the stricter: jsonschema then decides
        assert plain or not fast
    before = copy.deepcopy(document)
    problems = validate(document)
    assert document == before, "validating changed the document (a schema default written?)"
    with plain_jsonschema():
        assert problems == validate(document)


@functools.cache
def documents() -> tuple[Any, ...]:
    """Every seed and demo document, upgraded once (read, never changed: a test copies the one
    it mutates)."""
    seed = [to_current(e)[0] for e in SEED if isinstance(e, dict)]
    demo = [to_current(e)[0] for e in (DEMO if isinstance(DEMO, list) else DEMO.get("servers", []))]
    return (*seed, *demo)


def test_every_seed_and_demo_document_gets_jsonschemas_own_problems() -> None:
    docs = documents()
    assert len(docs) > 50
    drafts = 0
    for document in docs:
        assert_same_as_jsonschema(document)
        drafts += bool(validate(document))
    assert 0 < drafts < len(docs)  # both kinds are compared


# --- mutated documents: any value anywhere --------------------------------------------------


def _schema_words(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                found.update(value)
            if key == "enum" and isinstance(value, list):
                found.update(v for v in value if isinstance(v, str))
            _schema_words(value, found)
    elif isinstance(node, list):
        for value in node:
            _schema_words(value, found)
    return found


WORDS = sorted(_schema_words(schema(), set()))
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.sampled_from(["", "x", "1.0.0", "^1.0", "https://example.com/a", "not a url", "a" * 101])
    | st.sampled_from(["io.github.user/weather\n", "0" * 64 + "\n"])  # `$` before a last \n
    | st.sampled_from(WORDS)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=6,
)


def _places(node: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            out.append((node, key))
            _places(value, out)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.append((node, i))
            _places(value, out)
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_document_gets_jsonschemas_own_problems(data: st.DataObject) -> None:
    docs = documents()
    document = json.loads(json.dumps(data.draw(st.sampled_from(docs))))
    for _ in range(data.draw(st.integers(1, 3))):
        places = _places(document, [])
        if not places:
            break
        parent, key = data.draw(st.sampled_from(places))
        action = data.draw(st.sampled_from(["set", "delete", "add"]))
        if action == "delete":
            del parent[key]
        elif action == "add" and isinstance(parent, dict):
            parent[data.draw(st.sampled_from(WORDS))] = data.draw(values)
        else:
            parent[key] = data.draw(values)
    assert_same_as_jsonschema(document, exactly=False)


# --- the keywords, one at a time, against jsonschema ----------------------------------------

CASES: list[tuple[dict[str, Any], list[Any]]] = [
    ({"type": "integer"}, [1, 1.0, 1.5, True, "1", None]),
    ({"type": "number"}, [1, 1.5, True, "1"]),
    ({"type": ["string", "null"]}, ["a", None, 0]),
    ({"type": "boolean"}, [True, False, 0, 1]),
    ({"enum": [1, "a"]}, [1, 1.0, True, "a", "b"]),
    ({"enum": [True]}, [True, 1]),
    ({"const": [1, {"a": False}]}, [[1, {"a": False}], [1, {"a": 0}], [True, {"a": False}]]),
    ({"pattern": "b"}, ["abc", "ac", 3]),  # unanchored, strings only
    ({"minLength": 2, "maxLength": 3}, ["é", "éé", "éééé", 12]),
    ({"required": ["a"], "properties": {"a": {"type": "string"}}}, [{"a": "x"}, {"a": 1}, {}, []]),
    ({"properties": {"a": True}, "additionalProperties": False}, [{"a": 1}, {"b": 1}, 5]),
    ({"additionalProperties": {"type": "integer"}}, [{"b": 1}, {"b": "x"}]),
    ({"items": {"type": "integer"}}, [[1, 2], [1, "a"], "ab"]),
    ({"items": [{"type": "integer"}, {"type": "string"}]}, [[1, "a"], [1], [1, 2], [1, "a", 3]]),
    ({"allOf": [{"type": "integer"}, {"enum": [1]}]}, [1, 2]),
    ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, [1, "a", None]),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, [1, 1.5, "a"]),
    ({"not": {"type": "string"}}, ["a", 1]),
    (
        {"$ref": "#/definitions/A", "type": "string", "definitions": {"A": {"type": "integer"}}},
        [1, "a"],
    ),
    (
        {"definitions": {"T": {"items": {"$ref": "#/definitions/T"}}}, "$ref": "#/definitions/T"},
        [[[[]]], [[1]]],
    ),
    (True, [1, None]),
    ({"properties": {"a": False}}, [{"a": 1}, {}]),
    ({"format": "uri", "description": "x", "example": 1}, ["not a uri"]),
]


@pytest.mark.parametrize(("schema_", "instances"), CASES)
def test_each_keyword_agrees_with_jsonschema(schema_: Any, instances: list[Any]) -> None:
    fast = server_json._compile(copy.deepcopy(schema_))
    validator = Draft7Validator(schema_)
    for instance in instances:
        assert fast(instance) == validator.is_valid(instance), instance


# where fastjsonschema and jsonschema differ: (schema, instance, fastjsonschema's verdict)
DIFFERENCES: list[tuple[dict[str, Any], Any, bool]] = [
    # stricter: `$` is the very end of the string; jsonschema decides, so nothing changes
    ({"pattern": "^a$"}, "a\n", False),
    # laxer, never met: the bundled schema has no multipleOf (below)
    ({"multipleOf": 0.1}, 0.3, True),
    # laxer, never met: a tuple is not JSON; documents come from JSON text, whose arrays are lists
    ({"type": "array"}, (1, 2), True),
]


@pytest.mark.parametrize(("schema_", "instance", "verdict"), DIFFERENCES)
def test_the_known_differences(schema_: Any, instance: Any, verdict: bool) -> None:
    """If fastjsonschema changes here, this says so: the reasoning above is to be redone."""
    assert server_json._compile(copy.deepcopy(schema_))(instance) is verdict
    assert Draft7Validator(schema_).is_valid(instance) is not verdict


_ANNOTATIONS = {"$schema", "$id", "title", "description", "example", "examples", "default"}
_ANNOTATIONS |= {"definitions", "format"}  # format: no format checker, for either


def _keywords(node: Any, found: set[str]) -> set[str]:
    """The keywords of every schema in `node` (a schema), e.g. not the names under properties."""
    if not isinstance(node, dict):
        return found
    found.update(node)
    for key, value in node.items():
        if key in {"properties", "definitions"}:
            for sub in value.values():
                _keywords(sub, found)
        elif key in {"allOf", "anyOf", "oneOf"} or (key == "items" and isinstance(value, list)):
            for sub in value:
                _keywords(sub, found)
        elif key in {"not", "items", "additionalProperties"}:
            _keywords(value, found)
    return found


def test_every_keyword_of_the_bundled_schema_is_compared_above() -> None:
    used = _keywords(schema(), set()) - _ANNOTATIONS
    compared = set().union(*(_keywords(case, set()) for case, _ in CASES))
    assert used <= compared, used - compared
    assert "multipleOf" not in used  # the laxer differences: see DIFFERENCES


def test_compiling_leaves_the_bundled_schema_as_it_was() -> None:
    """fastjsonschema rewrites `$ref`s in place: jsonschema could no longer resolve them."""
    before = copy.deepcopy(schema())
    server_json._fast_check.cache_clear()
    server_json._validator.cache_clear()
    draft = {"name": "io.github.user/weather", "version": "1.0.0", "description": "x" * 101}
    assert [p.path for p in validate(draft)] == ["$.description", "$"]
    assert schema() == before
