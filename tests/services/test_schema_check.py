"""The compiled schema check (server_json/schema_check.py) says what jsonschema says: a document
is valid for one exactly when it is for the other, and the problems `validate` reports through
the compiled schema are jsonschema's own, at the same paths, in the same order."""

from __future__ import annotations

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
from pylee_tui.server_json.schema_check import CompiledSchema, Unsupported

DATA = Path(__file__).parents[1] / "data"
SEED = json.loads((DATA / "registry-seed-2025-05-16.json").read_text(encoding="utf-8"))
DEMO = json.loads(
    (Path(server_json.__file__).parents[1] / "data" / "demo_servers.json").read_text("utf-8")
)
PLAIN = Draft7Validator(schema())


@contextmanager
def plain_jsonschema() -> Iterator[None]:
    """validate() as it was before the schema was compiled: jsonschema alone."""
    saved = server_json._compiled, server_json._validator
    server_json._compiled, server_json._validator = (lambda: None), (lambda: PLAIN)
    try:
        yield
    finally:
        server_json._compiled, server_json._validator = saved


def assert_same_as_jsonschema(document: Any) -> None:
    compiled = server_json._compiled()
    assert compiled is not None, "the bundled schema compiles"
    assert compiled.is_valid(document) == PLAIN.is_valid(document)
    fast = validate(document)
    with plain_jsonschema():
        slow = validate(document)
    assert fast == slow


def documents() -> list[Any]:
    seed = [to_current(e)[0] for e in SEED if isinstance(e, dict)]
    demo = [to_current(e)[0] for e in (DEMO if isinstance(DEMO, list) else DEMO.get("servers", []))]
    return seed + demo


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
    assert_same_as_jsonschema(document)


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
def test_each_compiled_keyword_agrees_with_jsonschema(schema_: Any, instances: list[Any]) -> None:
    compiled = CompiledSchema(schema_)
    validator = Draft7Validator(schema_)
    for instance in instances:
        assert compiled.is_valid(instance) == validator.is_valid(instance), instance
        errors = [(list(e.path), e.message) for e in compiled.validator().iter_errors(instance)]
        assert errors == [(list(e.path), e.message) for e in validator.iter_errors(instance)]


@pytest.mark.parametrize(
    "schema_",
    [
        {"minimum": 3},
        {"patternProperties": {"a": {}}, "additionalProperties": False},
        {"$ref": "https://example.com/other.json"},
        {"properties": {"a": {"$id": "other", "type": "string"}}},
    ],
)
def test_a_keyword_that_is_not_compiled_is_refused_not_guessed(schema_: dict[str, Any]) -> None:
    with pytest.raises(Unsupported):
        CompiledSchema(schema_)
