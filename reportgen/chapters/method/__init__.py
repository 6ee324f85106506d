"""Method and definitions: how the report's measures are defined (a page of text)."""

from __future__ import annotations

from reportgen.chapters.base import TextChapter


class MethodChapter(TextChapter, key="method", title="Method and definitions"):
    """Method and definitions."""
