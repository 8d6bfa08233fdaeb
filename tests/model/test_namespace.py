from __future__ import annotations

import pytest

from shopfloor.model.namespace import Pattern, check_segment


def test_plus_matches_exactly_one_segment() -> None:
    p = Pattern("acme/+/temp")
    assert p.matches("acme/press/temp")
    assert not p.matches("acme/line/press/temp")
    assert not p.matches("acme/temp")


def test_hash_matches_the_rest_including_nothing() -> None:
    p = Pattern("acme/site/#")
    assert p.matches("acme/site/line/press/temp")
    assert p.matches("acme/site")
    assert not p.matches("acme/other/line")


def test_a_literal_pattern_matches_only_itself() -> None:
    p = Pattern("acme/site/temp")
    assert p.is_literal
    assert p.matches("acme/site/temp")
    assert not p.matches("acme/site/temp/x")


def test_hash_must_be_last() -> None:
    with pytest.raises(ValueError, match="only be the last"):
        Pattern("acme/#/temp")


def test_names_with_spaces_or_slashes_are_rejected() -> None:
    with pytest.raises(ValueError, match="not a valid name"):
        check_segment("press 3")


def test_sql_like_prefix_escapes_wildcards_and_covers_the_matches() -> None:
    assert Pattern("acme/line_1/+/temp").sql_like() == "acme/line\\_1/%"
    assert Pattern("+/x").sql_like() is None
    assert Pattern("a/b").sql_like() == "a/b"
