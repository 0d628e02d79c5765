"""A small phrase-pattern language for word lists: syntax, compiled form and parser.

Pattern syntax (used by the word lists)::

    word        one token; longer words also match near misspellings ("suicidle")
    =word       this token exactly ("=bridge" must not match "bride")
    a|b         any of these tokens             {name}   any word of the class `name`
    (x y|z)     alternative phrases ("|" inside a group always separates whole phrases)
    *  *N       skip up to 3 (or N) tokens
    item?       optional                        item+    one or more (up to 4)
    !a|b        not followed by any of these ("take my life !back": not "take my life back")

Every literal may also match two adjacent tokens run together ("over dose" -> overdose).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Union

from workers.screening.text import key_of

DEFAULT_GAP = 3
DIGITS = "#"  # in a word list, stands for any run of typed digits ("30")
MANY_DIGITS = "##"  # typed digits worth ten or more
EXACT = "="  # a word-list prefix: match this word exactly, never approximately


@dataclass(frozen=True)
class Lit:
    """A token drawn from a set of words."""

    words: frozenset[str]


@dataclass(frozen=True)
class Gap:
    """Up to `most` skipped tokens."""

    most: int


@dataclass(frozen=True)
class Group:
    """Alternative phrases."""

    options: tuple[tuple["Item", ...], ...]


@dataclass(frozen=True)
class Item:
    """A node with its quantifier."""

    node: Union[Lit, Gap, Group]
    optional: bool = False
    repeat: bool = False
    negative: bool = False  # a zero-width "not followed by"


@dataclass(frozen=True)
class Pattern:
    """A compiled phrase pattern and the text it came from."""

    source: str
    items: tuple[Item, ...]
    first_words: frozenset[str] | None = None  # words a match can start with; None: any
    required: tuple[frozenset[str], ...] = ()  # a match uses at least one word of each of these sets

    def literals(self) -> set[str]:
        """Every word this pattern can match."""
        found: set[str] = set()
        _collect(self.items, found)
        return found


def _nullable(items: tuple[Item, ...]) -> bool:
    return all(
        item.optional or item.negative or isinstance(item.node, Gap)
        or (isinstance(item.node, Group) and any(_nullable(o) for o in item.node.options))
        for item in items
    )


def _first_words(items: tuple[Item, ...]) -> frozenset[str] | None:
    found: set[str] = set()
    for item in items:
        node = item.node
        if isinstance(node, Gap):
            return None
        if item.negative:
            continue
        if isinstance(node, Lit):
            found |= node.words
        else:
            for option in node.options:
                option_first = _first_words(option)
                if option_first is None:
                    return None
                found |= option_first
        if not _nullable((item,)):
            return frozenset(found)
    return None


def _collect(items: tuple[Item, ...], found: set[str]) -> None:
    for item in items:
        if isinstance(item.node, Lit):
            found |= item.node.words
        elif isinstance(item.node, Group):
            for option in item.node.options:
                _collect(option, found)


_PATTERN_TOKEN = re.compile(r"\s*(\(|\)|\||\?|\+|!|\*\d*|\{[a-z_]+\}|[^\s()|?+*{}!]+)")


class PatternError(ValueError):
    """A word-list pattern that cannot be parsed."""


def compile_pattern(source: str, classes: Mapping[str, frozenset[str]], exact: set[str] | None = None) -> Pattern:
    """Parse a pattern string, expanding {class} references; "=word" keys are added to `exact`."""
    parts = _PATTERN_TOKEN.findall(source)
    if "".join(parts) != "".join(source.split()):
        raise PatternError(f"cannot parse pattern {source!r}")
    parser = _Parser(parts, classes, source, set() if exact is None else exact)
    items = parser.sequence()
    if parser.pos != len(parts):
        raise PatternError(f"unbalanced pattern {source!r}")
    if not items or isinstance(items[0].node, Gap) or isinstance(items[-1].node, Gap) or items[0].negative:
        raise PatternError(f"pattern must start and end with words: {source!r}")
    return Pattern(source, tuple(items), _first_words(tuple(items)), _required(tuple(items)))


def _required(items: tuple[Item, ...]) -> tuple[frozenset[str], ...]:
    """Word sets a match cannot avoid: a transcript holding none of one set cannot match."""
    needed = []
    for item in items:
        if item.optional or item.negative or isinstance(item.node, Gap):
            continue
        if isinstance(item.node, Lit):
            needed.append(item.node.words)
        elif not any(_nullable(option) for option in item.node.options):
            words: set[str] = set()
            _collect((item,), words)
            needed.append(frozenset(words))
    return tuple(needed)


class _Parser:
    def __init__(self, parts: list[str], classes: Mapping[str, frozenset[str]], source: str, exact: set[str]):
        self.parts, self.classes, self.source, self.exact, self.pos = parts, classes, source, exact, 0

    def peek(self) -> str | None:
        return self.parts[self.pos] if self.pos < len(self.parts) else None

    def take(self) -> str:
        part = self.parts[self.pos]
        self.pos += 1
        return part

    def sequence(self, depth: int = 0) -> list[Item]:
        items: list[Item] = []
        while self.peek() not in (None, ")", "|"):
            items.append(self.item(depth))
        return items

    def item(self, depth: int) -> Item:
        part = self.take()
        node: Union[Lit, Gap, Group]
        if part == "!":
            if depth or self.peek() in (None, "(", ")", "|", "?", "+", "!"):
                raise PatternError(f"'!' takes words, outside groups, in {self.source!r}")
            words = set(self.words(self.take()))
            while self.peek() == "|":
                self.take()
                words |= self.words(self.take())
            return Item(Lit(frozenset(words)), negative=True)
        if part == "(":
            options = [tuple(self.sequence(depth + 1))]
            while self.peek() == "|":
                self.take()
                options.append(tuple(self.sequence(depth + 1)))
            if self.peek() != ")":
                raise PatternError(f"missing ')' in {self.source!r}")
            self.take()
            node = Group(tuple(options))
        elif part.startswith("*"):
            node = Gap(int(part[1:] or DEFAULT_GAP))
        elif part in ("?", "+", "|", "!"):
            raise PatternError(f"unexpected {part!r} in {self.source!r}")
        else:
            words = set(self.words(part))
            # Inside a group "|" separates phrases: "(throw myself|jump)" is two options.
            while depth == 0 and self.peek() == "|":
                self.take()
                words |= self.words(self.take())
            node = Lit(frozenset(words))
        optional = repeat = False
        if self.peek() == "?":
            self.take()
            optional = True
        elif self.peek() == "+":
            self.take()
            repeat = True
        return Item(node, optional, repeat)

    def words(self, part: str) -> frozenset[str]:
        if part.startswith("{"):
            name = part[1:-1]
            if name not in self.classes:
                raise PatternError(f"unknown class {{{name}}} in {self.source!r}")
            return self.classes[name]
        if part in ("(", ")", "|", "?", "+", "!") or part.startswith("*"):
            raise PatternError(f"expected a word, got {part!r} in {self.source!r}")
        key = key_of(part.removeprefix(EXACT))
        if part.startswith(EXACT):
            self.exact.add(key)
        return frozenset([key])
