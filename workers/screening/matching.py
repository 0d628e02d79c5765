"""Find compiled patterns in a transcript's tokens, tolerating misheard and run-together words."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Union

from workers.screening.patterns import DIGITS, MANY_DIGITS, Gap, Group, Item, Lit, Pattern
from workers.screening.text import similarity
from workers.screening.types import Token

MAX_REPEAT = 4


@dataclass(frozen=True)
class Match:
    """Where a pattern matched: token positions [first, last] and the literal tokens consumed."""

    pattern: Pattern
    first: int
    last: int
    literal_positions: tuple[int, ...]
    closeness: float  # product of the literals' similarity


class Matcher:
    """Matches compiled patterns against one transcript's tokens."""

    def __init__(self, tokens: list[Token], vocabulary: "Vocabulary"):
        self.tokens = tokens
        self.keys = [t.key for t in tokens]
        self.vocabulary = vocabulary
        self._hits: dict[str, dict[str, float]] = {}
        self._starts: dict[int, set[str]] = {}

    def hits(self, heard: str) -> dict[str, float]:
        """Listed words a heard string matches, with their similarity."""
        found = self._hits.get(heard)
        if found is None:
            found = {w: s for w in self.vocabulary.candidates(heard) if (s := similarity(heard, w))}
            self._hits[heard] = found
        return found

    def score(self, heard: str, words: frozenset[str]) -> float:
        """Best similarity of a heard string to any of the words."""
        if heard in words:
            return 1.0
        if heard.isdigit() and (DIGITS in words or (MANY_DIGITS in words and int(heard) >= 10)):
            return 1.0
        return max((s for w, s in self.hits(heard).items() if w in words), default=0.0)

    def _start_words(self, i: int) -> set[str]:
        """Every listed word token i could stand for, alone or run together with the next token."""
        words = self._starts.get(i)
        if words is None:
            heard = [self.keys[i]]
            if i + 1 < len(self.keys):
                heard.append(self.keys[i] + self.keys[i + 1])
            words = set(heard)
            for text in heard:
                words.update(self.hits(text))
            if self.keys[i].isdigit():
                words.add(DIGITS)
                if int(self.keys[i]) >= 10:
                    words.add(MANY_DIGITS)
            self._starts[i] = words
        return words

    def find(self, pattern: Pattern) -> list[Match]:
        """All non-overlapping matches of a pattern, left to right."""
        found: list[Match] = []
        i = 0
        while i < len(self.keys):
            # Cheap rejection: most positions cannot begin most patterns.
            if pattern.first_words is not None and pattern.first_words.isdisjoint(self._start_words(i)):
                i += 1
                continue
            match = next(self._sequence(pattern.items, 0, i, (), 1.0), None)
            if match is None or not match[1]:
                i += 1
                continue
            _, positions, closeness = match
            found.append(Match(pattern, positions[0], positions[-1], positions, closeness))
            i = positions[-1] + 1
        return found

    def find_all(self, patterns: Iterable[Pattern]) -> list[Match]:
        """Matches of every pattern."""
        return [m for p in patterns for m in self.find(p)]

    def _sequence(self, items: tuple[Item, ...], k: int, i: int, positions: tuple[int, ...], closeness: float
                  ) -> Iterator[tuple[int, tuple[int, ...], float]]:
        if k == len(items):
            yield i, positions, closeness
            return
        for end, used, score in self._item(items[k], i):
            yield from self._sequence(items, k + 1, end, positions + used, closeness * score)

    def _item(self, item: Item, i: int) -> Iterator[tuple[int, tuple[int, ...], float]]:
        if item.negative:
            if next(self._node(item.node, i), None) is None:
                yield i, (), 1.0
            return
        if item.repeat:
            yield from self._repeat(item.node, i, 1)
            return
        yield from self._node(item.node, i)
        if item.optional:
            yield i, (), 1.0

    def _repeat(self, node: Union[Lit, Gap, Group], i: int, count: int) -> Iterator[tuple[int, tuple[int, ...], float]]:
        # Greedy: longest run first, backtracking to shorter runs when the rest fails.
        for end, used, score in self._node(node, i):
            if count < MAX_REPEAT:
                for end2, used2, score2 in self._repeat(node, end, count + 1):
                    yield end2, used + used2, score * score2
            yield end, used, score

    def _node(self, node: Union[Lit, Gap, Group], i: int) -> Iterator[tuple[int, tuple[int, ...], float]]:
        n = len(self.keys)
        if isinstance(node, Lit):
            if i < n and (s := self.score(self.keys[i], node.words)):
                yield i + 1, (i,), s
            if i + 1 < n and (s := self.score(self.keys[i] + self.keys[i + 1], node.words)):
                # An approximate join must not just swallow a stray word next to an exact match
                # ("be better" is not a misheard "better").
                if s == 1.0 or max(self.score(self.keys[i], node.words), self.score(self.keys[i + 1], node.words)) < 1.0:
                    yield i + 2, (i, i + 1), s
        elif isinstance(node, Gap):
            for skip in range(node.most + 1):
                if i + skip <= n:
                    yield i + skip, (), 1.0
        else:
            for option in node.options:
                yield from self._sequence(option, 0, i, (), 1.0)


class Vocabulary:
    """Every listed word, indexed by character trigrams so fuzzy lookups stay cheap."""

    def __init__(self, words: Iterable[str], exact: Iterable[str] = ()):
        self.words = frozenset(words)
        self.exact = frozenset(exact)
        self._trigrams: dict[str, set[str]] = {}
        for word in self.words - self.exact:
            for gram in _trigrams(word):
                self._trigrams.setdefault(gram, set()).add(word)

    def candidates(self, heard: str) -> set[str]:
        """Listed words that could plausibly match the heard string approximately."""
        found: set[str] = set()
        for gram in _trigrams(heard):
            found |= self._trigrams.get(gram, set())
        return found


def _trigrams(word: str) -> set[str]:
    return {word[j: j + 3] for j in range(len(word) - 2)}
