"""Field rules: the one home of what a good name, slug, email, description and overview is."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pylee_tui.models import (
    Organization,
    clean,
    clean_by_type,
    field_error,
    slugify,
    with_suffix,
)

SLUG_RULE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MIB = 1024 * 1024


def is_valid_slug(value: str) -> bool:
    return 2 <= len(value) <= 48 and SLUG_RULE.match(value) is not None


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Acme Production", "Acme Production"),
        ("  Acme Production  ", "Acme Production"),
        ("\tAcme\n", "Acme"),
        ("A", "A"),
        ("x" * 80, "x" * 80),
        ("  " + "x" * 80 + "  ", "x" * 80),
        ("Café Déjà Vu", "Café Déjà Vu"),
        ("Acme 🚀 Labs", "Acme 🚀 Labs"),
    ],
)
def test_good_names_are_trimmed(raw: str, stored: str) -> None:
    assert clean("name", raw) == stored
    assert field_error("name", raw) is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "blank"),
        ("   ", "blank"),
        ("\t\n", "blank"),
        ("x" * 81, "80"),
        ("Acme\nProduction", "control"),
        ("Acme\tProduction", "control"),
        ("Acme\x00", "control"),
        ("Acme\x1b[31m", "control"),
        ("Acme\x7f", "control"),
        # Unicode line breaks and C1 controls break a one-line table just the same
        ("Acme\u2028Production", "line break"),
        ("Acme\x85Production", "control"),
        ("Acme\x9b31mProduction", "control"),
    ],
)
def test_bad_names_are_refused_with_the_rule(raw: str, message: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        clean("name", raw)
    assert message in str(excinfo.value)
    assert "\n" not in str(excinfo.value)
    assert field_error("name", raw) == str(excinfo.value)


# --- slugs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug",
    [
        "ab",
        "a1",
        "42",
        "acme",
        "acme-production",
        "a-b-c",
        "v2-staging-eu",
        "a" * 48,
        "ab-" * 15 + "abc",
    ],
)
def test_good_slugs(slug: str) -> None:
    assert len(slug) <= 48
    assert clean("slug", slug) == slug


@pytest.mark.parametrize(
    "slug",
    [
        "",
        "a",
        "a" * 49,
        "Acme",
        "ACME-PRODUCTION",
        "acme production",
        " acme",
        "acme--production",
        "-acme",
        "acme-",
        "-",
        "--",
        "acme_production",
        "acme.production",
        "café",
        "acme/production",
        "acme\n",
    ],
)
def test_bad_slugs_are_refused(slug: str) -> None:
    with pytest.raises(ValueError, match="slug") as excinfo:
        clean("slug", slug)
    assert "acme-production" in str(excinfo.value)  # the message shows a good example


# --- emails ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("ann@example.com", "ann@example.com"),
        ("Ann@Example.COM", "ann@example.com"),
        ("  ann@example.com  ", "ann@example.com"),
        ("ann.lee+pylee@mail.example.co.uk", "ann.lee+pylee@mail.example.co.uk"),
        ("a_b-c@sub-domain.example.org", "a_b-c@sub-domain.example.org"),
    ],
)
def test_good_emails_are_normalised_to_lower_case(raw: str, stored: str) -> None:
    assert clean("email", raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ann",
        "ann@",
        "@example.com",
        "ann@example",
        "ann@@example.com",
        "ann@bob@example.com",
        "ann lee@example.com",
        "ann@exa mple.com",
        "ann..lee@example.com",
        ".ann@example.com",
        "ann@-example.com",
        "ann@example-.com",
        "ann@example..com",
        "ann@example.123",
        "a" * 65 + "@example.com",
        "ann@" + "a" * 250 + ".com",
        "ann\n@example.com",
        "ann@example\n.com",
    ],
)
def test_bad_emails_are_refused(raw: str) -> None:
    assert field_error("email", raw) is not None
    with pytest.raises(ValueError):
        clean("email", raw)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("variable_key", "GITHUB_TOKEN\n"),
        ("server_name", "io.github.acme/weather\n"),
    ],
)
def test_other_pattern_rules_refuse_a_trailing_line_break(field: str, value: str) -> None:
    """Like slugs and emails above: a line break would be stored and split one-line output."""
    with pytest.raises(ValueError):
        clean(field, value)


# --- description and overview ----------------------------------------------------------------


def test_description_of_280_characters_is_fine_281_is_not() -> None:
    assert clean("description", "d" * 280) == "d" * 280
    assert clean("description", "é" * 280) == "é" * 280  # characters, not bytes
    with pytest.raises(ValueError, match="280"):
        clean("description", "d" * 281)


def test_description_is_trimmed_and_may_be_empty() -> None:
    assert clean("description", "  Production servers  ") == "Production servers"
    assert clean("description", "") == ""
    assert clean("description", None) == ""


def test_overview_limit_is_one_mebibyte_of_utf8() -> None:
    assert len(clean("overview", "a" * MIB)) == MIB
    with pytest.raises(ValueError, match="1 MiB"):
        clean("overview", "a" * (MIB + 1))
    # two bytes per character: half a million characters already fill the limit
    assert clean("overview", "é" * (MIB // 2)) == "é" * (MIB // 2)
    with pytest.raises(ValueError, match="1 MiB"):
        clean("overview", "é" * (MIB // 2) + "a")


def test_overview_keeps_markdown_as_written() -> None:
    text = "# Acme\n\n- one\n- two\n\n```\ncode\n```\n"
    assert clean("overview", text) == text


def test_organization_model_enforces_the_same_rules() -> None:
    now = datetime(2025, 5, 16, tzinfo=UTC)
    org = Organization(id=1, name="  Acme  ", slug="acme", created_at=now, updated_at=now)
    assert org.name == "Acme"
    with pytest.raises(ValidationError):
        Organization(id=1, name="Acme", slug="Bad Slug", created_at=now, updated_at=now)
    with pytest.raises(ValidationError):
        Organization(id=1, name=" ", slug="acme", created_at=now, updated_at=now)


# --- slugify ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme Production", "acme-production"),
        ("Café Déjà Vu", "cafe-deja-vu"),
        ("  Acme -- Production!!  ", "acme-production"),
        ("Acme, Inc. — R&D / Ops", "acme-inc-r-d-ops"),
        ("ACME_production.v2", "acme-production-v2"),
        ("Ünïcödé Örg", "unicode-org"),
        ("Personal Lab", "personal-lab"),
    ],
)
def test_slugify_examples(name: str, slug: str) -> None:
    assert slugify(name) == slug


@pytest.mark.parametrize("name", ["", "!!!", "🚀🚀", "日本語", "A", "é", "7", "-"])
def test_slugify_always_gives_a_valid_slug_even_without_letters(name: str) -> None:
    assert is_valid_slug(slugify(name))


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Straße Ops", "strasse-ops"),
        ("Москва Team", "moskva-team"),
        ("Ελληνικά", "ellenika"),
        ("日本語", "ri-ben-yu"),
        ("東京 チーム", "dong-jing-timu"),
        ("🚀 Ops", "ops"),
    ],
)
def test_slugify_spells_other_scripts_in_ascii(name: str, slug: str) -> None:
    assert slugify(name) == slug


@pytest.mark.parametrize("name", ["🚀🚀", "🚀 ✨ 🎉", "\u200b", "\u0301"])
def test_slugify_of_a_name_with_nothing_to_spell_is_org(name: str) -> None:
    assert slugify(name) == "org"


def test_slugify_reads_a_name_as_text_not_html() -> None:
    assert slugify("Tom &amp; Jerry &#169;") == "tom-amp-jerry-169"


def test_slugify_of_a_one_letter_name_keeps_the_letter() -> None:
    assert "q" in slugify("Q")


def test_slugify_truncates_long_names_to_48() -> None:
    slug = slugify("Acme Production " * 10)
    assert is_valid_slug(slug)
    assert slug.startswith("acme-production-acme-production")
    # a cut that lands on a separator does not leave a trailing hyphen
    slug = slugify("x" * 47 + " tail")
    assert is_valid_slug(slug)


def test_slugify_cuts_a_long_name_between_words() -> None:
    # 48 characters would end in "-alp"
    assert slugify("alphabet " * 10) == "-".join(["alphabet"] * 5)
    assert slugify("Acme Production " * 10) == "acme-production-acme-production-acme-production"
    # a single word longer than the limit is cut inside it
    assert slugify("a" * 60) == "a" * 48


@settings(max_examples=300, database=None, deadline=None)
@given(st.text())
def test_slugify_of_any_text_satisfies_the_slug_rule(name: str) -> None:
    assert is_valid_slug(slugify(name))


# --- with_suffix -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base", ["ab", "acme-production", "a" * 48, "a" * 46 + "-b", "x" * 45 + "-yz"]
)
@pytest.mark.parametrize("n", [2, 3, 10, 999, 123456])
def test_with_suffix_keeps_the_slug_valid_and_short(base: str, n: int) -> None:
    result = with_suffix(base, n)
    assert is_valid_slug(result)
    assert len(result) <= 48
    assert result.endswith(f"-{n}")
    assert result != base


def test_with_suffix_on_a_short_slug_keeps_it_whole() -> None:
    assert with_suffix("acme-production", 2) == "acme-production-2"


@settings(max_examples=200, database=None, deadline=None)
@given(st.text(), st.integers(min_value=2, max_value=10**6))
def test_with_suffix_of_any_slugified_name_is_valid(name: str, n: int) -> None:
    result = with_suffix(slugify(name), n)
    assert is_valid_slug(result)
    assert result.endswith(f"-{n}")


def test_an_undecodable_value_is_refused_without_quoting_it() -> None:
    with pytest.raises(ValueError) as refused:
        clean("variable_value", "sk-live-\udcff-secret")
    assert "valid text" in str(refused.value)
    assert "secret" not in str(refused.value) and "sk-live" not in str(refused.value)


# --- one rule, two ways in: text is checked by the rule itself, anything else by pydantic --------


FIELDS = ["name", "slug", "description", "overview", "email", "server_name", "variable_key"]
FIELDS += ["variable_value", "role", "passphrase"]


def outcome(check, field: str, value: object) -> tuple[str, object]:
    try:
        return ("ok", check(field, value))
    except ValueError as exc:
        return ("refused", str(exc))


@settings(max_examples=300, deadline=None)
@given(
    field=st.sampled_from(FIELDS),
    value=st.one_of(
        st.text(),
        st.sampled_from(["admin", "member", "acme", "ann@example.com", "a/b", "KEY", "\ud800"]),
        st.text(alphabet="abc-@. \t\nAB_/\u202e\x00", max_size=12),
    ),
)
def test_text_is_cleaned_as_the_pydantic_type_cleans_it(field: str, value: str) -> None:
    """`clean` checks text without loading pydantic (a cold command); the answer and the
    message are the field type's own."""
    assert outcome(clean, field, value) == outcome(clean_by_type, field, value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("description", None), ("overview", None), ("name", 5), ("role", "owner"), ("email", b"x")],
)
def test_what_is_not_plain_text_gets_the_pydantic_answer(field: str, value: object) -> None:
    assert outcome(clean, field, value) == outcome(clean_by_type, field, value)
