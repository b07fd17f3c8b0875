"""The one escaping helper for every string that comes from data.

folium 0.20 escapes almost nothing it writes into the page: tooltip text is written into a
JavaScript template literal, popup HTML is parsed on load, GeoJsonTooltip/GeoJsonPopup values
and aliases and the names in the layer control are inserted with ``innerHTML``. suigeo
therefore passes every string that comes from data — property values, field aliases, layer
names, legend labels, the review number, the title — through :func:`escape_text` before it
reaches folium, and never builds page text any other way.

The result is safe in all the contexts folium uses:

- HTML text and quoted attribute values: ``& < > " '`` become character references;
- JavaScript template literals: `` ` ``, ``$`` and ``\\`` become character references too, so
  no ``${...}`` substitution, no end of the literal and no escape sequence can form;
- JSON strings (``tojson``) need nothing more;
- Jinja: ``{`` and ``}`` become character references, because branca renders each script
  and then parses the result again as a Jinja template, so ``{{ ... }}`` in data would be
  evaluated (in Python, at build time) and ``{% raw %}`` would abort the page.

Once the browser parses the HTML, each reference shows as the character it stands for, so the
reader sees the original text, never markup and never executed code.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["escape_text"]

_TABLE = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#39;",
        "`": "&#96;",
        "$": "&#36;",
        "\\": "&#92;",
        # branca re-parses every rendered script as a Jinja template: "{{", "{%" and "{#"
        # in data would run as Jinja (Python) at build time.
        "{": "&#123;",
        "}": "&#125;",
        # Line and paragraph separators end a JavaScript line in older engines.
        "\u2028": "&#8232;",
        "\u2029": "&#8233;",
        # NUL cannot appear in an HTML document.
        "\x00": "\ufffd",
    }
)


def escape_text(value: Any) -> str:
    """Return ``value`` as text that is inert in HTML and in a JavaScript template literal.

    Parameters
    ----------
    value
        Any value; ``None`` and NaN become the empty string, everything else ``str(value)``.

    Returns
    -------
    str
        The text with ``& < > " ' ` $ \\ { }`` (and U+2028, U+2029) replaced by HTML
        character references.

    Examples
    --------
    >>> escape_text("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> escape_text("${alert(1)}`")
    '&#36;&#123;alert(1)&#125;&#96;'
    """
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value).translate(_TABLE)
