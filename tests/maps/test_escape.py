"""The one escaping helper: inert in HTML and template literals, and lossless for a reader."""

from __future__ import annotations

import html
import math
import re

from hypothesis import given
from hypothesis import strategies as st

from suigeo.maps import escape_text

DANGEROUS = set("<>\"'`$\\{}")


def test_known_inputs():
    # Expected values written by hand from the HTML character reference table.
    assert escape_text("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert escape_text("${alert(1)}") == "&#36;&#123;alert(1)&#125;"
    assert escape_text("{{ 7*7 }}") == "&#123;&#123; 7*7 &#125;&#125;"
    assert escape_text("a`b") == "a&#96;b"
    assert escape_text("a\\b") == "a&#92;b"
    assert escape_text("\"'&") == "&quot;&#39;&amp;"
    assert escape_text("广州(梅州)产业园 40.10 亿元") == "广州(梅州)产业园 40.10 亿元"
    assert escape_text(None) == ""
    assert escape_text(math.nan) == ""
    assert escape_text(3.5) == "3.5"


@given(st.text())
def test_no_dangerous_character_survives_and_reader_sees_original(s):
    out = escape_text(s)
    assert not (set(out) & DANGEROUS)
    # every '&' starts a character reference
    assert re.fullmatch(r"(?:[^&]|&(?:[a-z]+|#[0-9]+);)*", out, flags=re.S)
    # the stdlib HTML parser's unescape (independent of our table) gives the text back,
    # except NUL, which HTML cannot carry and becomes U+FFFD
    assert html.unescape(out) == s.replace("\x00", "\ufffd")
