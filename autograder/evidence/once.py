"""Gather each piece of evidence once: its value, or the Unavailable that says why there is none."""
from ..sandbox.outcome import Unavailable


class Once:
    """A cache of computations by key; a computation's Unavailable is kept and raised again."""

    def __init__(self):
        self._done = {}

    def __call__(self, key, compute):
        """compute() the first time; afterwards its result, or its Unavailable raised again."""
        if key not in self._done:
            try:
                self._done[key] = compute()
            except Unavailable as why:
                self._done[key] = why
        if isinstance(self._done[key], Unavailable):
            raise self._done[key]
        return self._done[key]

    def known(self, key):
        """Whether `key` was computed (its value or its Unavailable is kept)."""
        return key in self._done
