"""Find compiled patterns in a transcript's tokens, tolerating misheard and run-together words."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Union

from workers.screening.patterns import DIGITS, MANY_DIGITS, Gap, Group, Item, Lit, Pattern
from workers.screening.text import similarity
from workers.screening.types import Token

MAX_REPEAT = 4
HITS_CACHE_SIZE = 50_000


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
        self._scores: dict[tuple[str, frozenset[str]], float] = {}
        self._starts: dict[int, frozenset[str]] = {}
        self._index: tuple[dict[str, list[int]], frozenset[str]] | None = None

    def hits(self, heard: str) -> dict[str, float]:
        """Listed words a heard string matches, with their similarity."""
        return self.vocabulary.hits(heard)

    def score(self, heard: str, words: frozenset[str]) -> float:
        """Best similarity of a heard string to any of the words."""
        if heard in words:
            return 1.0
        found = self._scores.get((heard, words))
        if found is None:
            if heard.isdigit() and (DIGITS in words or (MANY_DIGITS in words and int(heard) >= 10)):
                found = 1.0
            else:
                found = max((s for w, s in self.hits(heard).items() if w in words), default=0.0)
            self._scores[(heard, words)] = found
        return found

    def _start_words(self, i: int) -> frozenset[str]:
        """Every listed word token i could stand for, alone or run together with the next token."""
        words = self._starts.get(i)
        if words is None:
            following = self.keys[i + 1] if i + 1 < len(self.keys) else None
            words = self._starts[i] = self.vocabulary.start_words(self.keys[i], following)
        return words

    def find(self, pattern: Pattern) -> list[Match]:
        """All non-overlapping matches of a pattern, left to right."""
        found: list[Match] = []
        index, words = self._start_index()
        if any(needed.isdisjoint(words) for needed in pattern.required):
            return found  # a word the pattern cannot do without is nowhere in this transcript
        if pattern.first_words is None:
            candidates: Iterable[int] = range(len(self.keys))
        else:
            # Only positions that can begin the pattern are tried: most patterns start nowhere.
            candidates = sorted({p for w in pattern.first_words & words for p in index[w]})
        free = 0
        for i in candidates:
            if i < free:
                continue
            match = next(self._sequence(pattern.items, 0, i, (), 1.0), None)
            if match is None or not match[1]:
                continue
            _, positions, closeness = match
            found.append(Match(pattern, positions[0], positions[-1], positions, closeness))
            free = positions[-1] + 1
        return found

    def _start_index(self) -> tuple[dict[str, list[int]], frozenset[str]]:
        """Listed word -> positions it could start at, built once per transcript."""
        if self._index is None:
            index: dict[str, list[int]] = {}
            for i in range(len(self.keys)):
                for word in self._start_words(i):
                    index.setdefault(word, []).append(i)
            self._index = (index, frozenset(index))
        return self._index

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
            if i >= n or node.words.isdisjoint(self._start_words(i)):
                return  # nothing position i could stand for, alone or joined, is listed here
            if (s := self.score(self.keys[i], node.words)):
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
        self._hits: dict[str, dict[str, float]] = {}
        self._starts: dict[tuple[str, str | None], frozenset[str]] = {}

    def hits(self, heard: str) -> dict[str, float]:
        """Listed words a heard string matches, with their similarity (remembered across transcripts)."""
        found = self._hits.get(heard)
        if found is None:
            if len(self._hits) >= HITS_CACHE_SIZE:
                self._hits.clear()  # everyday words come straight back; rare ones are cheap to redo
            found = {w: s for w in self.candidates(heard) if (s := similarity(heard, w))}
            self._hits[heard] = found
        return found

    def start_words(self, key: str, following: str | None) -> frozenset[str]:
        """Every listed word a token could stand for, alone or run together with the next one."""
        found = self._starts.get((key, following))
        if found is None:
            heard = [key] if following is None else [key, key + following]
            words = set(heard)
            for text in heard:
                words.update(self.hits(text))
            if key.isdigit():
                words.add(DIGITS)
                if int(key) >= 10:
                    words.add(MANY_DIGITS)
            if len(self._starts) >= HITS_CACHE_SIZE:
                self._starts.clear()
            found = self._starts[(key, following)] = frozenset(words)
        return found

    def candidates(self, heard: str) -> set[str]:
        """Listed words that could plausibly match the heard string approximately."""
        found: set[str] = set()
        for gram in _trigrams(heard):
            found |= self._trigrams.get(gram, set())
        return found


def _trigrams(word: str) -> set[str]:
    return {word[j: j + 3] for j in range(len(word) - 2)}
