"""A JSON Schema (draft 7) compiled once into plain Python functions: the fast "is this document
valid?" that an import of thousands of server.json entries asks, about fifty times faster than
jsonschema walking the schema for each one. When a document is not valid, jsonschema still says
why (every message comes from one place), but it only walks the parts that are not valid: every
part the compiled check passes is skipped, since jsonschema would find nothing there.

The compiled check agrees with `jsonschema.Draft7Validator(schema)` (no format checker, so
`format` is an annotation) on every document and every part of one: the keywords it compiles
follow jsonschema's own rules (a `$ref` hides its siblings, `true` is not 1, 1.0 is an integer),
keywords jsonschema does not know are annotations to both, and a schema using a draft 7 keyword
not compiled here is refused when it is compiled (`Unsupported`), so a caller falls back to
jsonschema rather than guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema import Draft7Validator, ValidationError, validators

Check = Callable[[Any], bool]

# what jsonschema does nothing with when it validates: annotations and the keywords it reads
# elsewhere (definitions: only through a $ref; format: no format checker is given)
_NOT_CHECKED = frozenset({"definitions", "format", "$schema", "$id", "$comment"})


class Unsupported(ValueError):
    """The schema uses a keyword (or a reference) this compiler does not check."""


class CompiledSchema:
    """`is_valid(document)`, fast; `errors(document)`, jsonschema's own errors for it, found by
    walking only the parts of the document that are not valid."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self._compiler = _Compiler(schema)
        self.is_valid: Check = self._compiler.compile(schema, root=True)
        self._last: tuple[Any, Any, bool] = (None, None, False)
        self._validator: Draft7Validator | None = None

    def errors(self, document: Any) -> list[ValidationError]:
        """Every error jsonschema's Draft7Validator finds in `document`, in its order."""
        if self._validator is None:
            self._validator = self.validator()
        return list(self._validator.iter_errors(document))

    def check_of(self, node: Any) -> Check:
        """The compiled check of one node of the schema (compiled with the whole)."""
        return self._compiler.compiled.get(id(node)) or self._compiler.compile(node)

    def validator(self) -> Draft7Validator:
        """jsonschema's Draft7Validator for this schema, walking only what is not valid: a node
        whose compiled check passes says nothing, and the keywords that descend (properties,
        items, allOf, additionalProperties) step only into the parts that fail. Same errors,
        same paths, same order; a fraction of the work."""
        passes = self.passes
        original = Draft7Validator.VALIDATORS

        def pruned(keyword: Any) -> Callable[..., Any]:
            def run(validator: Any, value: Any, instance: Any, node: Any) -> Any:
                if passes(node, instance):  # nothing wrong here, nothing to say
                    return ()
                return keyword(validator, value, instance, node)

            return run

        # jsonschema's own keywords (4.26), each skipping the parts that pass
        def properties(validator: Any, value: Any, instance: Any, node: Any) -> Any:
            if not isinstance(instance, dict):
                return
            for name, sub in value.items():
                if name in instance and not passes(sub, instance[name]):
                    yield from validator.descend(instance[name], sub, path=name, schema_path=name)

        def items(validator: Any, value: Any, instance: Any, node: Any) -> Any:
            if not isinstance(instance, list):
                return
            if isinstance(value, list):
                for (index, item), sub in zip(enumerate(instance), value, strict=False):
                    if not passes(sub, item):
                        yield from validator.descend(item, sub, path=index, schema_path=index)
            else:
                for index, item in enumerate(instance):
                    if not passes(value, item):
                        yield from validator.descend(item, value, path=index)

        def all_of(validator: Any, value: Any, instance: Any, node: Any) -> Any:
            for index, sub in enumerate(value):
                if not passes(sub, instance):
                    yield from validator.descend(instance, sub, schema_path=index)

        def additional(validator: Any, value: Any, instance: Any, node: Any) -> Any:
            if not isinstance(value, dict) or not isinstance(instance, dict):
                yield from original["additionalProperties"](validator, value, instance, node)
                return
            known = node.get("properties", {})
            for extra in {name for name in instance if name not in known}:
                if not passes(value, instance[extra]):
                    yield from validator.descend(instance[extra], value, path=extra)

        mirrored: dict[str, Callable[..., Any]] = {
            "properties": properties,
            "items": items,
            "allOf": all_of,
            "additionalProperties": additional,
        }
        keywords = {name: pruned(mirrored.get(name) or fn) for name, fn in original.items()}
        cls = validators.extend(Draft7Validator, keywords)
        return cls(self.schema)

    def passes(self, node: Any, instance: Any) -> bool:
        """Whether `instance` is valid against one node of the schema (asked once per node and
        instance in a row: every keyword of a node asks the same)."""
        last = self._last
        if last[0] is node and last[1] is instance:
            return last[2]
        if node is True or node is False:
            return node
        result = self.check_of(node)(instance)
        self._last = (node, instance, result)  # one tuple: a reader never sees half of it
        return result


def _is_object(x: Any) -> bool:
    return isinstance(x, dict)


def _is_array(x: Any) -> bool:
    return isinstance(x, list)


def _is_string(x: Any) -> bool:
    return isinstance(x, str)


def _is_boolean(x: Any) -> bool:
    return isinstance(x, bool)


def _is_null(x: Any) -> bool:
    return x is None


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _is_integer(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


_TYPES: dict[str, Check] = {
    "object": _is_object,
    "array": _is_array,
    "string": _is_string,
    "boolean": _is_boolean,
    "null": _is_null,
    "number": _is_number,
    "integer": _is_integer,
}


def _equal(one: Any, two: Any) -> bool:
    """JSON equality as jsonschema sees it: True is not 1, [1] is (1,), recursively."""
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, list | tuple) and isinstance(two, list | tuple):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    return bool(one == two)


def _always(_x: Any) -> bool:
    return True


def _never(_x: Any) -> bool:
    return False


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]

    def check(x: Any) -> bool:  # a loop: all() over a generator costs a third more here
        for one in checks:  # noqa: SIM110
            if not one(x):
                return False
        return True

    return check


class _Compiler:
    def __init__(self, root: Any) -> None:
        self.root = root
        self.refs: dict[str, list[Check]] = {}  # a cell each: a $ref may lead back to itself
        self.compiled: dict[int, Check] = {}  # by id of the schema's node (the schema is kept)

    def compile(self, node: Any, *, root: bool = False) -> Check:
        check = self._compile(node, root)
        if isinstance(node, dict):
            self.compiled[id(node)] = check
        return check

    def _compile(self, node: Any, root: bool) -> Check:
        if node is True:
            return _always
        if node is False:
            return _never
        if not isinstance(node, dict):
            raise Unsupported(f"a schema must be an object or a boolean, not {node!r}")
        if "$ref" in node:  # draft 7: a $ref's siblings are not looked at
            return self._ref(node["$ref"])
        if "$id" in node and not root:
            raise Unsupported("an $id below the root changes what a $ref means")
        checks: list[Check] = []
        if "type" in node:
            checks.append(self._type(node["type"]))
        for key, value in node.items():
            if key == "type" or key in _NOT_CHECKED or key not in Draft7Validator.VALIDATORS:
                continue
            build = _KEYWORDS.get(key)
            if build is None:
                raise Unsupported(f"the keyword {key!r} is not compiled")
            built = build(self, value, node)
            if built is not None:
                checks.append(built)
        return _all(checks)

    def _ref(self, ref: Any) -> Check:
        if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
            raise Unsupported(f"only references inside the schema are compiled, not {ref!r}")
        if ref not in self.refs:
            cell: list[Check] = []
            self.refs[ref] = cell
            cell.append(self.compile(self._resolve(ref), root=ref == "#"))
        cell = self.refs[ref]

        def check(x: Any) -> bool:
            return cell[0](x)

        return check

    def _resolve(self, ref: str) -> Any:
        node = self.root
        for part in ref[2:].split("/") if ref != "#" else []:
            if "%" in part:
                raise Unsupported(f"a percent-encoded reference is not compiled: {ref!r}")
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise Unsupported(f"the reference {ref!r} leads nowhere")
        return node

    def _type(self, types: Any) -> Check:
        names = [types] if isinstance(types, str) else types
        if not isinstance(names, list) or any(n not in _TYPES for n in names):
            raise Unsupported(f"the type {types!r} is not compiled")
        tests = tuple(_TYPES[n] for n in names)
        if len(tests) == 1:
            return tests[0]
        return lambda x: any(test(x) for test in tests)

    # --- keywords: each applies to its own kind of value and lets any other through ---------

    def _properties(self, properties: Any, _node: dict) -> Check:
        compiled = [(name, self.compile(sub)) for name, sub in properties.items()]

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            for name, sub in compiled:  # noqa: SIM110 - a loop: all() costs more
                if name in x and not sub(x[name]):
                    return False
            return True

        return check

    def _additional(self, extra: Any, node: dict) -> Check | None:
        if "patternProperties" in node:
            raise Unsupported("patternProperties is not compiled")
        known = frozenset(node.get("properties", {}))
        if extra is True or extra == {}:
            return None
        closed = extra is False
        sub = None if closed else self.compile(extra)

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            for name, value in x.items():
                if name in known:
                    continue
                if closed or (sub is not None and not sub(value)):
                    return False
            return True

        return check

    def _required(self, names: Any, _node: dict) -> Check:
        wanted = tuple(names)
        return lambda x: not isinstance(x, dict) or all(n in x for n in wanted)

    def _items(self, items: Any, node: dict) -> Check:
        if isinstance(items, list):
            if "additionalItems" in node:
                raise Unsupported("additionalItems is not compiled")
            each = [self.compile(sub) for sub in items]
            return lambda x: (
                not isinstance(x, list)
                or all(
                    c(i)
                    for c, i in zip(each, x, strict=False)  # fewer items than schemas: fine
                )
            )
        sub = self.compile(items)
        return lambda x: not isinstance(x, list) or all(sub(i) for i in x)

    def _enum(self, values: Any, _node: dict) -> Check:
        if all(isinstance(v, str) for v in values):
            strings = frozenset(values)
            return lambda x: isinstance(x, str) and x in strings
        choices = list(values)
        return lambda x: any(_equal(x, v) for v in choices)

    def _const(self, value: Any, _node: dict) -> Check:
        return lambda x: _equal(x, value)

    def _pattern(self, pattern: Any, _node: dict) -> Check:
        search = re.compile(pattern).search  # jsonschema: re.search, unanchored
        return lambda x: not isinstance(x, str) or search(x) is not None

    def _min_length(self, size: Any, _node: dict) -> Check:
        return lambda x: not isinstance(x, str) or len(x) >= size

    def _max_length(self, size: Any, _node: dict) -> Check:
        return lambda x: not isinstance(x, str) or len(x) <= size

    def _all_of(self, subs: Any, _node: dict) -> Check:
        return _all([self.compile(sub) for sub in subs])

    def _any_of(self, subs: Any, _node: dict) -> Check:
        compiled = [self.compile(sub) for sub in subs]
        return lambda x: any(c(x) for c in compiled)

    def _one_of(self, subs: Any, _node: dict) -> Check:
        compiled = [self.compile(sub) for sub in subs]
        return lambda x: sum(1 for c in compiled if c(x)) == 1

    def _not(self, sub: Any, _node: dict) -> Check:
        compiled = self.compile(sub)
        return lambda x: not compiled(x)


_KEYWORDS: dict[str, Callable[[_Compiler, Any, dict], Check | None]] = {
    "properties": _Compiler._properties,
    "additionalProperties": _Compiler._additional,
    "required": _Compiler._required,
    "items": _Compiler._items,
    "additionalItems": lambda _c, _v, node: _additional_items(node),
    "enum": _Compiler._enum,
    "const": _Compiler._const,
    "pattern": _Compiler._pattern,
    "minLength": _Compiler._min_length,
    "maxLength": _Compiler._max_length,
    "allOf": _Compiler._all_of,
    "anyOf": _Compiler._any_of,
    "oneOf": _Compiler._one_of,
    "not": _Compiler._not,
}


def _additional_items(node: dict) -> None:
    """additionalItems means something only beside a list of items (refused there, in _items)."""
    return None
