"""feedparser's SAX handler state replayed over an lxml tree (see horizon.fastfeed)."""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from horizon.fastfeed.common import (
    _CAN_BE_RELATIVE,
    _FP_END,
    _FP_START,
    _GUARDED,
    _HTML_TYPES,
    _IMAGE_CHILDREN,
    _ITUNES,
    _LINK_ENTITY,
    _LOOKS_LIKE_HTML,
    _MATCH_NS,
    _MRSS_SCHEME,
    _NO_DECLARATIONS,
    _SELF_BASES,
    _UNTYPED,
    _XHTML,
    _Entry,
    _fix_text,
    _map_type,
    _next_base,
    _resolve,
    _strip_div,
    _Unsure,
    email_search,
)
from horizon.fastfeed.entries import (
    _unsure,
)


class _Replay:
    """feedparser's SAX handler state (mixin.py, parsers/strict.py), driven by a tree walk."""

    __slots__ = (
        "base", "c1", "cp", "depth", "entries", "feed", "frames", "guidislink", "has_content",
        "inauthor", "incontent", "incontributor", "inentry", "infeed", "inimage", "inpublisher",
        "insource", "intextinput", "keys", "lang", "last", "ns_in_use", "ns_map", "psc", "scan_ns",
        "source", "stack", "summary_key", "title_depth", "version",
    )  # fmt: skip

    def __init__(self, base: str, lang: str | None) -> None:
        self.base, self.lang = base, lang
        self.feed: dict[str, Any] = {"language": lang.replace("_", "-")} if lang else {}
        self.entries: list[_Entry] = []
        self.version = ""
        self.ns_in_use: dict[str, str] = {}  # feedparser's namespaces_in_use
        self.ns_map: dict[str | None, str] = {}  # and namespacemap
        self.keys: dict[str, tuple[str, str, str]] = {}
        self.infeed = self.inentry = self.insource = self.inimage = self.intextinput = False
        self.inauthor = self.incontributor = self.inpublisher = self.has_content = False
        self.guidislink = self.psc = self.scan_ns = False
        self.c1 = True
        self.incontent = self.depth = 0
        self.title_depth = -1
        self.source: dict[str, Any] = {}
        self.cp: dict[str, Any] = {}  # feedparser's contentparams
        self.summary_key: str | None = None
        self.stack: list[tuple[str, bool, list[str]]] = []  # feedparser's elementstack
        self.frames: list[tuple[str, str | None]] = []  # and its basestack and langstack
        self.last: Any = None  # the value the last pop stored, with its content type

    def track(self, prefix: str | None, uri: str) -> None:
        """feedparser's track_namespace."""
        if not uri:
            return
        lower = uri.lower()
        if not self.version:
            if (prefix, lower) == (None, "http://my.netscape.com/rdf/simple/0.9/"):
                self.version = "rss090"
            elif lower in ("http://purl.org/rss/1.0/", "http://www.w3.org/2005/atom"):
                self.version = "rss10" if lower.endswith("/rss/1.0/") else "atom10"
        if "backend.userland.com/rss" in lower:
            uri = lower = "http://backend.userland.com/rss"
        if lower in _MATCH_NS:
            self.ns_map[prefix] = _MATCH_NS[lower]
            self.ns_in_use[_MATCH_NS[lower]] = uri
        else:
            self.ns_in_use[prefix or ""] = uri
        self.keys = {}

    def key_of(self, tag: str) -> tuple[str, str, str]:
        """(name as feedparser spells it, mapped prefix, handler key) for an lxml tag."""
        ns, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
        lower = ns.lower()
        if "backend.userland.com/rss" in lower:
            ns = lower = "http://backend.userland.com/rss"
        known = _MATCH_NS.get(lower)
        name = known + ":" + local if known else local
        if ns and not known:
            # expat gives no qname, so feedparser names an unknown namespace by the first
            # prefix declared for it (a default declaration leaves the element unprefixed).
            prefix = next((p for p, u in self.ns_in_use.items() if p and u == ns), None)
            name = prefix + ":" + local if prefix else local
        name = name.lower()
        prefix, _, suffix = name.partition(":") if ":" in name else ("", "", name)
        prefix = self.ns_map.get(prefix, prefix)
        self.keys[tag] = found = (name, prefix, prefix + "_" + suffix if prefix else suffix)
        return found

    def attrs_of(self, el: Any, items: list[Any], declared: list[Any]) -> dict[str, str]:
        attrs = {"xmlns:" + p: u for p, u in declared if p and u == "http://www.w3.org/1999/xlink"}
        qnames = []
        for name, value in items:
            if name[0] == "{":
                ns, _, local = name[1:].partition("}")
                known = _MATCH_NS.get(ns.lower(), "")
                attrs[(known + ":" + local if known else local).lower()] = value
                given = next((p for p, u in el.nsmap.items() if u == ns and p), None)
                if ns == "http://www.w3.org/XML/1998/namespace":
                    given = "xml"
                if given is None:
                    raise _Unsure
                qnames.append(((given + ":" + local).lower(), value))  # expat's qname too
            else:
                attrs[name.lower()] = value
        attrs.update(qnames)
        for name in ("rel", "type"):
            if name in attrs:
                attrs[name] = attrs[name].lower()
        return attrs

    def walk(self, el: Any, parent_ns: dict[Any, str], declared: list[Any]) -> None:
        """feedparser's unknown_starttag, character data, children, unknown_endtag."""
        nsmap = parent_ns
        if self.scan_ns:
            nsmap = el.nsmap
            declared = [(p, u) for p, u in nsmap.items() if parent_ns.get(p) != u]
        for prefix, uri in declared:
            self.track(prefix, uri)
        keys, tag = self.keys, el.tag
        found = keys.get(tag)
        if found is None:
            if not isinstance(tag, str):
                raise _Unsure
            found = self.key_of(tag)
        name, prefix, key = found
        items = el.items()
        self.depth += 1
        lang = self.lang
        if items or declared:
            attrs = self.attrs_of(el, items, declared)
            given = attrs.get("xml:base", attrs.get("base")) or self.base
            lang = attrs.get("xml:lang", attrs.get("lang"))
            lang = None if lang == "" else self.lang if lang is None else lang
            if lang and name in ("feed", "rss"):
                self.feed["language"] = lang.replace("_", "-")
            base = _next_base(self.base, given)
        else:
            attrs = {}
            base = _SELF_BASES.get(self.base) or _next_base(self.base, self.base)
        self.base, self.lang = base, lang
        frames, stack = self.frames, self.stack
        frames.append((base, lang))
        inline = self.incontent
        if inline:
            typepad = self.start_inline(name, attrs)
        else:
            if not prefix:  # feedparser's hacks for empty image and textinput elements
                if self.intextinput and name not in ("title", "link", "description", "name"):
                    self.intextinput = False
                if self.inimage and name not in _IMAGE_CHILDREN:
                    self.inimage = False
            start = _START.get(key)
            if start.__class__ is tuple:
                stack.append((*start, []))
            elif start is not None:
                start(self, attrs)  # type: ignore[operator]
            elif key in _FP_START:
                raise _Unsure
            elif attrs:
                if key in _GUARDED and self.inentry:
                    raise _Unsure
                self.ctx()[key] = attrs
            else:
                stack.append((key, True, []))
        # Character data goes where feedparser's handle_data puts it: the innermost push.
        text = el.text
        if text is not None and stack:
            stack[-1][2].append(xml_escape(text) if self.cp.get("type") == _XHTML else text)
        for child in el:
            self.walk(child, nsmap, _NO_DECLARATIONS)
            text = child.tail
            if text is not None and stack:
                stack[-1][2].append(xml_escape(text) if self.cp.get("type") == _XHTML else text)
        if self.keys is not keys:
            name, prefix, key = self.key_of(tag)
        if inline:
            if self.end_inline(name, key, typepad):
                return  # feedparser returns early: depth, xml:base and xml:lang stay pushed
        else:
            end = _END.get(key)
            if end.__class__ is tuple:
                self.pop(*end)
            elif end is not None:
                end(self)  # type: ignore[operator]
            elif key in _FP_END:
                raise _Unsure
            elif stack and stack[-1][0] == key:
                self.pop(key)
        frames.pop()
        if frames:
            base, self.lang = frames[-1]
            if base:
                self.base = base
        self.depth -= 1

    def start_inline(self, name: str, attrs: dict[str, str]) -> bool:
        """An element inside content: feedparser makes the content xhtml and re-serialises the
        element, except a <div> met while the content still claims to be escaped (typepad)."""
        if not self.cp.get("type", "xml").endswith("xml"):
            if name in ("xhtml:div", "div"):
                return True
            self.cp["type"] = _XHTML
        local = name.split(":", 1)[-1]
        if self.cp.get("type") != _XHTML or local in ("svg", "math"):
            raise _Unsure
        attr_text = "".join(
            f' {k}="{xml_escape(v, {chr(34): "&quot;"})}"' for k, v in attrs.items()
        )
        self.data(f"<{local}{attr_text}>")
        return False

    def end_inline(self, name: str, key: str, typepad: bool) -> bool:
        if key in _FP_END:
            raise _Unsure  # feedparser would run that handler inside the content
        self.pop(key)
        if not self.cp.get("type", "xml").endswith("xml"):
            if typepad:
                return True
            self.cp["type"] = _XHTML
        if self.cp.get("type") == _XHTML:
            self.data(f"</{name.split(':', 1)[-1]}>")
        return False

    def data(self, markup: str) -> None:
        if self.stack:
            self.stack[-1][2].append(markup)

    def push(self, name: str, expecting: Any) -> None:
        self.stack.append((name, bool(expecting), []))

    def pop(self, name: str, strip: bool = True) -> str | None:
        """feedparser's pop: the element's text, processed and stored where it belongs."""
        stack = self.stack
        if not stack or stack[-1][0] != name:
            return None
        _, expecting, pieces = stack.pop()
        cp = self.cp
        if cp and self.version == "atom10" and cp.get("type", "text") == _XHTML:
            pieces = _strip_div(pieces)
        out = "".join(pieces)
        if strip:
            out = out.strip()
        if not expecting:
            return out
        if cp.pop("base64", False):
            with contextlib.suppress(binascii.Error, binascii.Incomplete, UnicodeDecodeError):
                out = base64.decodebytes(out.encode("utf8")).decode("utf8")
        if out and name in _CAN_BE_RELATIVE and (name != "id" or self.guidislink):
            out = _resolve(self.base, out)
        text_type = cp and cp.get("type") == "text/plain"
        if text_type and not self.version.startswith("atom") and _LOOKS_LIKE_HTML(out):
            cp["type"] = "text/html"
        if not out.isascii():
            out = _fix_text(out, self.c1)
        if name in ("category", "tags", "itunes_keywords"):
            return out
        if name == "title" and -1 < self.title_depth <= self.depth:
            return out
        value: Any = out
        if self.incontent:  # markup is sanitised later, with its type and base: keep them
            value = self.last = (out, cp.get("type", "text/html"), self.base)
        if self.inentry and not self.insource:
            entry = self.entries[-1]
            if name == "content":
                entry.setdefault("content", []).append(value)
            elif name == "link":
                if not self.inimage:
                    entry["link"] = out = _LINK_ENTITY.sub(r"&\g<1>", out.replace("&amp;", "&"))
                    if out and not entry.get("links"):
                        raise _Unsure  # feedparser raises KeyError here
            else:
                if name == "description":
                    name = "summary"
                elif name in _GUARDED:
                    raise _Unsure
                depths = entry.depth
                if depths.get(name, self.depth) >= self.depth:
                    depths[name] = self.depth
                    entry[name] = value
                if self.incontent:
                    entry[name + "_detail"] = (cp.get("type"), cp.get("language"))
        elif self.infeed or self.insource:
            ctx = self.ctx()
            ctx["subtitle" if name == "description" else name] = value
            if name == "link":
                ctx["link"] = _LINK_ENTITY.sub(r"&\g<1>", out)
                if not ctx.get("links"):
                    raise _Unsure
        return out

    def push_content(self, tag: str, attrs: dict[str, str], default: str, expecting: Any) -> None:
        if self.incontent:
            raise _Unsure  # one contentparams for two elements: feedparser loses track
        self.incontent += 1
        if self.lang:
            self.lang = self.lang.replace("_", "-")
        ctype = _map_type(attrs.get("type", default))
        textual = ctype.startswith("text/") or ctype.endswith(("+xml", "/xml"))
        encoded = attrs.get("mode") == "base64" or not textual  # feedparser's _is_base64
        self.cp = {"type": ctype, "language": self.lang, "base64": encoded}
        self.push(tag, expecting)

    def pop_content(self, tag: str) -> str | None:
        value = self.pop(tag)
        self.incontent -= 1
        self.cp = {}
        return value

    def ctx(self) -> dict[str, Any]:
        """feedparser's _get_context: where a value lands."""
        if self.insource:
            return self.source
        if self.inimage and "image" in self.feed:
            image: dict[str, Any] = self.feed["image"]
            return image
        if self.intextinput:
            textinput: dict[str, Any] = self.feed["textinput"]  # start_textinput made sure
            return textinput
        return self.entries[-1] if self.inentry else self.feed

    def save(self, key: str, value: Any, overwrite: bool = False) -> None:
        ctx = self.ctx()
        if overwrite or key not in ctx:
            ctx[key] = value

    def expecting(self) -> bool:
        return self.infeed or self.inentry or self.insource

    # -- handlers (namespaces/_base.py and friends), as far as horizon's fields depend on them

    def start_rss(self, attrs: dict[str, str]) -> None:
        if not self.version.startswith("rss"):
            given = attrs.get("version", "")
            versions = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
            self.version = versions.get(given) or ("rss20" if given.startswith("2.") else "rss")

    def start_feed(self, attrs: dict[str, str], atom: bool = True) -> None:
        self.infeed = True
        if "lastmod" in attrs or "href" in attrs:
            raise _Unsure  # CDF attributes
        if atom and not self.version:
            versions = {"0.1": "atom01", "0.2": "atom02", "0.3": "atom03"}
            self.version = versions.get(attrs.get("version", "")) or "atom"

    def start_item(self, attrs: dict[str, str]) -> None:
        self.entries.append(_Entry())
        self.push("item", False)
        self.inentry, self.guidislink, self.title_depth = True, False, -1
        about = attrs.get(self.ns_map.get("rdf", "rdf") + ":about")
        if about:
            self.ctx()["id"] = about
        if "lastmod" in attrs or "href" in attrs:
            raise _Unsure

    def end_item(self) -> None:
        self.pop("item")
        self.inentry = self.has_content = False

    def start_box(self, attrs: dict[str, str], kind: str) -> None:
        """<image> and <textinput>: values inside them land in a dict of their own."""
        ctx = self.ctx()
        if kind == "textinput":
            if ctx is not self.feed:
                raise _Unsure  # feedparser's later lookups of feed["textinput"] raise KeyError
            ctx.setdefault(kind, {})
            self.intextinput = True
        else:
            if not self.inentry:
                ctx.setdefault(kind, {})
            self.inimage = True
        self.title_depth = -1
        self.push(kind, False)

    def end_box(self, kind: str) -> None:
        self.pop(kind)
        if kind == "image":
            self.inimage = False
        else:
            self.intextinput = False

    def start_author(self, attrs: dict[str, str]) -> None:
        self.inauthor = True
        self.push("author", True)
        self.ctx().setdefault("authors", []).append({})

    def end_author(self) -> None:
        self.pop("author")
        self.inauthor = False
        self.sync_author()

    def start_contributor(self, push_as: str) -> None:
        self.incontributor = True
        self.ctx().setdefault("contributors", []).append({})
        self.push(push_as, False)

    def end_contributor(self, pushed: str) -> None:
        if pushed == "name":  # dc:contributor
            self.end_person("name", "name")
        else:
            self.pop(pushed)
        self.incontributor = False

    def end_person(self, pushed: str, key: str) -> None:
        """The end of <name>, <email>, <url>/<uri>: a field of the current author, maybe."""
        value = self.pop(pushed)
        if self.inauthor or (self.inpublisher and key != "href"):
            # feedparser syncs `author` before recording the new field, and an itunes:owner's
            # name lands in the current authors entry too: both decide what `author` says.
            ctx = self.ctx()
            self.sync_author()
            ctx.setdefault("authors", [{}])[-1][key] = value
        elif key == "name" and not self.incontributor and self.intextinput:
            self.ctx()["name"] = value

    def sync_author(self) -> None:
        """feedparser's _sync_author_detail('author')."""
        ctx = self.ctx()
        authors = ctx.get("authors", [{}])
        if not authors:
            raise _Unsure
        detail = authors[-1]
        if detail:
            name, email = detail.get("name"), detail.get("email")
            if name and email:
                ctx["author"] = f"{name} ({email})"
            elif name or email:
                ctx["author"] = name or email
            return
        # With an empty last author, feedparser splits `author` into that entry's name and
        # email, which later syncs then read.
        author = ctx.get("author")
        if not author:
            return
        if not isinstance(author, str):
            raise _Unsure
        found = email_search(author)
        if found:
            detail["email"] = email = found.group(0)
            for junk in (email, "()", "<>", "&lt;&gt;"):
                author = author.replace(junk, "")
            author = author.strip()
            author = author[1:] if author.startswith("(") else author
            author = (author[:-1] if author.endswith(")") else author).strip()
        if author:
            detail["name"] = author

    def start_category(self, attrs: dict[str, str]) -> None:
        scheme = attrs.get("scheme", attrs.get("domain"))
        self.add_tag(attrs.get("term"), scheme, attrs.get("label"))
        self.push("category", True)

    def end_category(self) -> None:
        value = self.pop("category")
        if not value:
            return
        tags = self.ctx().get("tags")
        if not isinstance(tags, list):
            raise _Unsure
        if tags and not tags[-1][0]:
            tags[-1][0] = value
        else:
            self.add_tag(value, None, None)

    def end_keywords(self, pushed: str, scheme: str | None, keep_empty: bool = False) -> None:
        value = self.pop(pushed)
        for term in value.split(",") if value is not None else ():
            if term.strip() or keep_empty:
                self.add_tag(term.strip(), scheme, None)

    def add_tag(self, term: str | None, scheme: str | None, label: str | None) -> None:
        tags = self.ctx().setdefault("tags", [])
        if (term or scheme or label) and [term, scheme, label] not in tags:
            tags.append([term, scheme, label])

    def start_link(self, attrs: dict[str, str]) -> None:
        rel = attrs.setdefault("rel", "alternate")
        attrs.setdefault("type", "application/atom+xml" if rel == "self" else "text/html")
        ctx = self.ctx()
        href = attrs.get("url", attrs.get("uri", attrs.get("href")))
        if href:
            attrs.pop("url", None)
            attrs.pop("uri", None)
            attrs["href"] = href
        links = ctx.setdefault("links", [])
        if not (self.inentry and self.inimage):
            links.append(attrs)
        if "href" not in attrs:
            self.push("link", self.expecting())
        else:
            attrs["href"] = _resolve(self.base, attrs["href"])
            if rel == "alternate" and _map_type(attrs["type"]) in _HTML_TYPES:
                ctx["link"] = attrs["href"]

    def start_guid(self, attrs: dict[str, str]) -> None:
        self.guidislink = attrs.get("ispermalink", "true") == "true"
        self.push("id", True)

    def end_guid(self) -> None:
        value = self.pop("id")
        if self.guidislink:
            self.save("link", value)

    def end_title(self, keep_depth: bool = False) -> None:
        title_depth = self.title_depth
        if self.pop_content("title"):
            self.title_depth = self.depth
        if keep_depth:  # media:title
            self.title_depth = title_depth

    def start_summary(self, attrs: dict[str, str], name: str) -> None:
        """<description>, <summary> and kin: a second one in an entry without content becomes
        content."""
        if "summary" in self.ctx() and not self.has_content:
            self.summary_key = "content"
            self.start_content(attrs)
        elif name == "summary":
            self.push_content(name, attrs, "text/plain", True)
        else:
            self.push_content(name, attrs, "text/html", self.expecting())

    def end_summary(self, name: str) -> None:
        if self.summary_key == "content":
            self.end_content()
        else:
            self.pop_content(name)
        self.summary_key = None

    def start_content(self, attrs: dict[str, str], encoded: bool = False) -> None:
        self.has_content = True
        self.push_content("content", attrs, "text/html" if encoded else "text/plain", True)
        if not encoded:
            self.push("content", True)  # feedparser pushes twice; the lower one is never popped

    def end_content(self) -> None:
        ctype = self.cp.get("type")
        if ctype is None:
            raise _Unsure
        value = self.pop_content("content")
        mapped = _map_type(ctype)
        if value is not None and mapped == "text/plain":
            self.save("summary", (self.last[0], _UNTYPED, self.last[2]))
        elif mapped in _HTML_TYPES | {"text/plain"}:
            self.save("summary", None if value is None else self.last)

    def start_source(self, attrs: dict[str, str]) -> None:
        if "url" in attrs:
            self.source["href"] = attrs["url"]
        self.push("source", True)
        self.insource, self.title_depth = True, -1

    def end_source(self) -> None:
        self.insource = False
        self.pop("source")
        self.ctx()["source"] = self.source
        self.source = {}

    def owner(self, starts: bool) -> None:
        """itunes:owner: its name and email go through the author machinery."""
        self.inpublisher = starts
        if starts:
            self.push("publisher", False)
        else:
            self.pop("publisher")

    def start_itunes_image(self, attrs: dict[str, str]) -> None:
        self.push("itunes_image", False)
        if attrs.get("href") or attrs.get("url"):
            self.ctx()["image"] = {"href": attrs.get("href") or attrs.get("url")}

    def start_psc_chapters(self, attrs: dict[str, str]) -> None:
        ctx = self.ctx()
        if "psc_chapters" not in ctx:
            self.psc = True
            ctx["psc_chapters"] = {}

    def end_pop(self, pushed: str, check: str) -> None:
        """A pop that feedparser follows with a lookup that can fail."""
        value = self.pop(pushed)
        if check == "int" and value is None:
            raise _Unsure  # _end_width/_end_height call int(None)
        if check == "thumbnail" and value and value.strip() and "media_thumbnail" not in self.ctx():
            raise _Unsure  # _end_media_thumbnail's KeyError

    def end_date(self, key: str) -> None:
        # Parsed lazily (and only for entries): feedparser overwrites, so keep the last string.
        self.save(key + "_parsed", (self.pop(key),), overwrite=True)


_Start = Callable[[_Replay, dict[str, str]], object]
_End = Callable[[_Replay], object]


def _aliases(table: dict[str, Any]) -> dict[str, Any]:
    return {alias: value for names, value in table.items() for alias in names.split()}


def _content(name: str) -> _Start:
    return lambda r, a: r.push_content(name, a, "text/plain", True)


_R = _Replay
# Element key -> feedparser's _start_<key>, as a (name, expecting text) push or a function.
# Keys feedparser handles that are missing here (GeoRSS, the Creative Commons RSS module) make
# the replay unsure; tests/test_fastfeed.py checks the two lists stay in step.
_START: dict[str, _Start | tuple[str, bool]] = _aliases({
    "rss": _R.start_rss, "feed": _R.start_feed,
    "channel": lambda r, a: r.start_feed(a, atom=False),
    "item entry": _R.start_item,
    "image": lambda r, a: r.start_box(a, "image"),
    "textinput": lambda r, a: r.start_box(a, "textinput"),
    "author managingeditor dc_author dc_creator itunes_author": _R.start_author,
    "contributor": lambda r, a: r.start_contributor("contributor"),
    "dc_contributor": lambda r, a: r.start_contributor("name"),
    "name itunes_name": ("name", False), "email itunes_email": ("email", False),
    "url homepage uri": ("href", True), "width": ("width", False), "height": ("height", False),
    "subtitle tagline itunes_subtitle": _content("subtitle"),
    "rights copyright dc_rights": _content("rights"),
    "info feedburner_browserfriendly": _content("info"),
    "language dc_language": ("language", True), "webmaster dc_publisher": ("publisher", True),
    "published issued pubdate dcterms_issued": ("published", True),
    "updated modified lastbuilddate dc_date dcterms_modified": ("updated", True),
    "created dcterms_created": ("created", True), "expirationdate": ("expired", True),
    "category keywords dc_subject": _R.start_category,
    "media_category": lambda r, a: r.start_category({"scheme": _MRSS_SCHEME, **a}),
    "itunes_category": lambda r, a: (r.add_tag(a.get("text"), _ITUNES, None),
                                     r.push("category", True)),
    "tags": ("tags", True), "link": _R.start_link, "guid id": _R.start_guid,
    "title dc_title media_title": lambda r, a: r.push_content("title", a, "text/plain",
                                                              r.expecting()),
    "description dc_description media_description":
        lambda r, a: r.start_summary(a, "description"),
    "abstract": lambda r, a: r.push_content("description", a, "text/plain", r.expecting()),
    "summary itunes_summary": lambda r, a: r.start_summary(a, "summary"),
    "generator": ("generator", True), "source": _R.start_source,
    "content": _R.start_content,
    "body xhtml_body": lambda r, a: r.push_content("content", a, _XHTML, True),
    "content_encoded fullitem": lambda r, a: r.start_content(a, encoded=True),
    "newlocation": ("newlocation", True), "dcterms_valid": ("validity", True),
    "cloud media_group media_content": lambda r, a: None,
    "enclosure cc_license": lambda r, a: r.ctx().setdefault("links", []).append(a),
    "media_rating": ("rating", True), "media_credit": ("credit", True),
    "media_restriction": ("restriction", True), "media_license": ("license", True),
    "media_thumbnail": lambda r, a: (r.ctx().setdefault("media_thumbnail", []),
                                     r.push("url", True)),
    "media_player": ("media_player", False),
    "itunes_owner": lambda r, a: r.owner(True),
    "itunes_image itunes_link": _R.start_itunes_image,
    "psc_chapters": _R.start_psc_chapters,
    "psc_chapter": lambda r, a: r.psc and "start" not in a and _unsure(),  # TypeError in fp
})  # fmt: skip
# Element key -> feedparser's _end_<key>, as a (name, strip) pop or a function; a key with no
# entry pops itself.
_END: dict[str, _End | tuple[str, bool]] = _aliases({
    "channel feed": lambda r: setattr(r, "infeed", False), "item entry": _R.end_item,
    "image": lambda r: r.end_box("image"), "textinput": lambda r: r.end_box("textinput"),
    "author managingeditor dc_author dc_creator itunes_author": _R.end_author,
    "contributor": lambda r: r.end_contributor("contributor"),
    "dc_contributor": lambda r: r.end_contributor("name"),
    "name itunes_name": lambda r: r.end_person("name", "name"),
    "email itunes_email": lambda r: r.end_person("email", "email"),
    "url homepage uri": lambda r: r.end_person("href", "href"),
    "width": lambda r: r.end_pop("width", "int"), "height": lambda r: r.end_pop("height", "int"),
    "subtitle tagline itunes_subtitle": lambda r: r.pop_content("subtitle"),
    "rights copyright dc_rights": lambda r: r.pop_content("rights"),
    "info feedburner_browserfriendly": lambda r: r.pop_content("info"),
    "language dc_language": ("language", True), "webmaster dc_publisher": ("publisher", True),
    "published issued pubdate dcterms_issued": lambda r: r.end_date("published"),
    "updated modified lastbuilddate dc_date dcterms_modified": lambda r: r.end_date("updated"),
    "created dcterms_created": lambda r: r.end_date("created"),
    "expirationdate": ("expired", True),
    "category keywords dc_subject itunes_category media_category": _R.end_category,
    "tags": lambda r: r.end_keywords("tags", None, keep_empty=True),
    "itunes_keywords": lambda r: r.end_keywords("itunes_keywords", _ITUNES),
    "media_keywords": lambda r: r.end_keywords("media_keywords", None),
    "link": ("link", True), "guid id": _R.end_guid,
    "title dc_title": _R.end_title, "media_title": lambda r: r.end_title(keep_depth=True),
    "description dc_description media_description abstract":
        lambda r: r.end_summary("description"),
    "summary itunes_summary": lambda r: r.end_summary("summary"),
    "generator": ("generator", True), "source": _R.end_source,
    "content content_encoded fullitem body xhtml_body": _R.end_content,
    "newlocation": ("newlocation", True), "dcterms_valid": ("validity", True),
    "media_rating": ("rating", True), "media_credit": ("credit", True),
    "media_restriction": ("restriction", True), "media_license": ("license", True),
    "media_thumbnail": lambda r: r.end_pop("url", "thumbnail"),
    "media_player": ("media_player", True),
    "itunes_owner": lambda r: r.owner(False),
    "itunes_block": ("itunes_block", False), "itunes_explicit": ("itunes_explicit", False),
    "psc_chapters": lambda r: setattr(r, "psc", False),
})  # fmt: skip
