"""Text helpers shared by parsing, storing and printing: HTML to text, links, durations, sizes."""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import nh3

# Block-level closing tags become a space so that "<p>a</p><p>b</p>" reads "a b", not "ab".
_BLOCK_BREAK = re.compile(
    r"<(?:br|hr|/p|/div|/li|/h[1-6]|/tr|/td|/th|/blockquote|/pre|/section|/article)\b[^>]*>",
    re.IGNORECASE,
)


# A tag as sanitisers write them: a name, attributes with double-quoted values or none.
_PLAIN_TAG = re.compile(r'</?[A-Za-z][A-Za-z0-9]*(?:\s+[^\s"\'<>/=]+(?:\s*=\s*"[^"]*")?)*\s*/?>')
# Elements an HTML parser reads otherwise than "tags around text": raw text (scripts, styles,
# textarea ...), content it moves (tables), drops (frameset) or keeps apart (template), or
# foreign content (svg, math). Markup naming any of them takes the parser's way.
_PARSER_ONLY = re.compile(
    r"<(?:script|style|textarea|title|xmp|iframe|noembed|noframes|noscript|plaintext|template|"
    r"table|select|frameset|svg|math)\b",
    re.IGNORECASE,
)


def html_to_text(markup: str | None) -> str:
    """Plain text of an HTML fragment: tags, scripts and styles removed, entities decoded."""
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        text = markup
    else:
        markup = _BLOCK_BREAK.sub(" ", markup)
        plain = _plain_markup_text(markup)
        # Else nh3 (ammonia) with no allowed tags keeps only text; script/style contents dropped.
        text = html.unescape(nh3.clean(markup, tags=set())) if plain is None else plain
    return " ".join(text.split())  # str.split's whitespace is re's \s, and it is faster


def _plain_markup_text(markup: str) -> str | None:
    """The text of markup made only of plain tags and text, as sanitised HTML is (and most
    feeds' HTML): the tags cut out, the references decoded. An HTML parser reads the same
    text from it (tests hold the two to that over every text in the corpus and on random
    markup); this takes half the time over the real feeds. None where the parser may read
    otherwise: a "<" left over (a comment, a declaration, an unquoted attribute), an element
    of _PARSER_ONLY, or a NUL, which the parser drops."""
    if "\x00" in markup or _PARSER_ONLY.search(markup):
        return None
    stripped = _PLAIN_TAG.sub("", markup)
    return None if "<" in stripped else html.unescape(stripped)


# Terminal safety: CSI, OSC (incl. OSC 8 links, OSC 52 clipboard), DCS/APC/PM/SOS strings,
# two-character escapes, then any remaining C0/C1 control or bidi-override character.
_ANSI = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]              # CSI ... final byte
  | \x9b[0-?]*[ -/]*[@-~]                # 8-bit CSI
  | \x1b[\]PX^_].*?(?:\x07|\x1b\\|\x9c)  # OSC, DCS, SOS, PM, APC terminated by BEL or ST
  | [\x90\x98\x9d\x9e\x9f].*?(?:\x07|\x1b\\|\x9c)  # 8-bit string introducers
  | \x1b[\]PX^_][^\x07\x1b\x9c]*$        # unterminated string at end
  | \x1b.?                               # any other escape
    """,
    re.VERBOSE | re.DOTALL,
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]")


def terminal_safe(text: object, *, single_line: bool = True) -> str:
    """Text from a feed, fit to print: escape sequences and control characters removed."""
    if text is None:
        return ""
    s = _ANSI.sub("", str(text))
    if single_line:
        s = s.replace("\t", " ").replace("\n", " ").replace("\r", " ")
        s = _CONTROL.sub("", s)
    else:
        s = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", "", s)
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    return s


# Query parameters that only track the reader; dropped from stored links.
_TRACKING = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gclsrc|msclkid|mc_cid|mc_eid|_hsenc|_hsmi|igshid|"
    r"yclid|twclid|ref_src|oly_anon_id|oly_enc_id|vero_id|wt\.mc_id|at_medium|at_campaign)$",
    re.IGNORECASE,
)


def normalise_link(url: str | None) -> str | None:
    """A link with tracking parameters, default ports and empty fragments removed."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https"):
        return url
    scheme = parts.scheme.lower()
    netloc = parts.netloc.lower()
    if (scheme == "http" and netloc.endswith(":80")) or (
        scheme == "https" and netloc.endswith(":443")
    ):
        netloc = netloc.rsplit(":", 1)[0]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not _TRACKING.match(k)]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, query, parts.fragment))


def slugify(text: str, fallback: str = "source") -> str:
    """A stable lower-case id made of letters, digits and dashes."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", norm.lower()).strip("-")
    return slug[:60].strip("-") or fallback


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: object) -> float:
    """Seconds in '90s', '30m', '6h', '7d', '2w' or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{value!r} is negative")
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration like 30m, 6h, 7d or 2w")
    unit = (match.group(2) or "s").lower()
    return float(match.group(1)) * _UNIT_SECONDS[unit]


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)


def parse_size(value: object) -> int:
    """Bytes in '10MiB', '512KB', '1GiB' or a plain number of bytes."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"{value!r} is not a positive size")
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a size like 10MiB")
    unit = (match.group(2) or "b").lower()[0]
    factor = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]
    return int(float(match.group(1)) * factor)


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """A point in time from '7d', '12h', '2w' (ago) or an ISO date/datetime."""
    now = now or utcnow()
    try:
        seconds = parse_duration(value)
    except ValueError:
        return parse_datetime_arg(value)
    try:
        return now - timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"{value!r} reaches back before the year 1") from None


def parse_datetime_arg(value: str) -> datetime:
    """An ISO date or datetime given on the command line, as UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD) or a duration like 7d") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_review_date(value: str, today: date | None = None) -> date:
    """A review-by date from '+4w', '+10d', '+3m' (months) or YYYY-MM-DD."""
    today = today or utcnow().date()
    text = value.strip().lower()
    match = re.fullmatch(r"\+(\d+)\s*([dwm])", text)
    if match:
        try:
            return _ahead(today, int(match.group(1)), match.group(2))
        except (OverflowError, ValueError):
            raise ValueError(f"{value!r} reaches past the year 9999") from None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a date: use YYYY-MM-DD, +10d, +4w or +3m") from None


def _ahead(today: date, n: int, unit: str) -> date:
    if unit == "d":
        return today + timedelta(days=n)
    if unit == "w":
        return today + timedelta(weeks=n)
    month = today.month - 1 + n
    year = today.year + month // 12
    return date(year, month % 12 + 1, min(today.day, 28))


def utcnow() -> datetime:
    """The current time in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime | None) -> str | None:
    """UTC ISO 8601 with a Z, as every time is stored."""
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(value: str | None) -> datetime | None:
    """Parse a stored UTC ISO 8601 time."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def read_at_most(path: Path, limit: int) -> bytes | None:
    """The file's bytes, or None if it holds more than `limit`: read with that bound, as its
    size on disk may not say (a device such as /dev/zero, a pipe, a file still growing).
    OSError as `open` and `read` raise it."""
    with path.open("rb") as file:
        data = file.read(limit + 1)
    return None if len(data) > limit else data


def human_size(n: int | float) -> str:
    """1536 -> '1.5 KiB'."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def human_duration(seconds: float) -> str:
    """3600 -> '1h', 90 -> '1m30s'."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        m, s = divmod(seconds, 60)
        return f"{m}m{s}s" if s else f"{m}m"
    if seconds < 86400:
        h, rem = divmod(seconds, 3600)
        return f"{h}h{rem // 60}m" if rem >= 60 else f"{h}h"
    d, rem = divmod(seconds, 86400)
    return f"{d}d{rem // 3600}h" if rem >= 3600 else f"{d}d"
