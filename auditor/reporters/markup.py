"""Escaping for text that came from the user's files (paths, string literals in messages, model
names) on its way into Markdown, HTML and GitHub workflow commands.

A crafted file name such as ``a<script>|b.py`` or a message full of backticks and pipes must
render as the same characters, never as markup, a table cell break or a mention.
"""

from __future__ import annotations

import html
import re

# CommonMark lets a backslash escape any ASCII punctuation; these are the ones that can start
# markup in the middle of a line (emphasis, code, links, tables, strikethrough, math, issue
# references). `]`, `(` and `!` only act with a `[`; `<` and `&` become entities.
_MD_PUNCT = re.compile(r"([\\`*_\[|~#$])")
_BACKTICKS = re.compile(r"`+")


def md_text(text: str) -> str:
    """Plain text as inline Markdown: every character renders as itself."""
    text = " ".join(str(text).splitlines())
    text = html.escape(text, quote=False)  # & < > as entities: no raw HTML, no autolink
    text = _MD_PUNCT.sub(r"\\\1", text)
    # A zero-width space after `@` keeps a crafted `@someone` from notifying anyone.
    return text.replace("@", "@&#8203;")


def md_code(text: str, *, in_table: bool = False) -> str:
    """`text` as an inline code span, whatever backticks it holds."""
    text = " ".join(str(text).splitlines())
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    if in_table:
        text = text.replace("|", "\\|")  # GFM splits cells before it sees code spans
    if not text:
        return "` `"
    return f"{fence}{pad}{text}{pad}{fence}"


def md_inline(text: str, *, in_table: bool = False) -> str:
    """A message in benchaudit's style (identifiers in backticks) as Markdown: the backticked
    parts become code spans, the rest is escaped text. Unbalanced backticks: all plain text."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:
        return md_text(text)
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(md_text(part))
        elif part:
            out.append(md_code(part, in_table=in_table))
        else:
            out.append("\\`\\`")
    return "".join(out)


def md_fence(code: str, info: str = "python") -> str:
    """A fenced code block that no backtick run inside `code` can close early."""
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(code)), default=0)
    fence = "`" * max(3, longest + 1)
    body = "\n".join(line.rstrip("\r") for line in code.split("\n"))
    return f"{fence}{info}\n{body}\n{fence}"


def html_text(text: object) -> str:
    return html.escape(str(text), quote=True)


def html_inline(text: str) -> str:
    """A message as HTML: backticked identifiers in `<code>`, everything escaped."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:
        return html_text(text)
    return "".join(
        html_text(p) if i % 2 == 0 else f"<code>{html_text(p)}</code>" for i, p in enumerate(parts)
    )


def gh_data(text: str) -> str:
    """The message of a GitHub workflow command (`::error ...::MESSAGE`)."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_property(text: str) -> str:
    """A property value of a GitHub workflow command (`file=`, `title=`)."""
    return gh_data(text).replace(":", "%3A").replace(",", "%2C")
