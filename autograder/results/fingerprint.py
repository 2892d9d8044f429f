"""One submission's code as copydetect's winnowing fingerprints, the given code's taken out.

copydetect (MOSS's winnowing, offline) tokenizes with Pygments and replaces every variable,
attribute and function name with one letter, and drops comments and blank space, so renaming and
re-commenting change nothing. No k-gram spans two pieces of student code (a definition, a
helper), so the order of a student's functions does not matter, and the stencil's pieces,
fingerprinted the same way, are removed as boilerplate. similarities() counts, for every pair at
once, what copydetect's compare_files counts for one pair (tests/test_similarity.py checks they
agree); compare_files itself finds the passages the page highlights.
"""
import hashlib
from dataclasses import dataclass

import numpy as np
from copydetect import compare_files
from copydetect.utils import filter_code, winnow

K = 25       # copydetect's noise threshold: a match shorter than 25 filtered characters is ignored
WINDOW = 1   # winnowing window: 1 keeps every k-gram (a class's code is small; copydetect's default too)
MARK = "\u00a7"  # between pieces: Pygments keeps it as an error token, which no valid Python code has
SEPARATOR = f"\n{MARK}\n"
FAR = np.iinfo(np.int64).max // 2  # beyond any index


@dataclass
class Fingerprint:
    """A document's fingerprints: what copydetect.compare_files reads (CodeFingerprint's attributes),
    and the sorted arrays similarities() reads."""
    raw_code: str
    filtered_code: str
    offsets: np.ndarray    # (filtered index, characters filtering removed before it), to map matches back
    hashes: set
    hash_idx: dict         # hash -> [filtered index of each k-gram with it]
    token_coverage: float  # filtered characters covered by the kept k-grams: the share's denominator
    k: int = K
    starts: np.ndarray = None   # the kept k-grams' filtered indices, sorted
    start_hashes: np.ndarray = None  # their hashes
    unique: np.ndarray = None   # the kept hashes, sorted


def matched(fingerprints):
    """m[i, j]: filtered characters of document i inside k-grams whose hash document j has too (the
    union of those k-grams: what copydetect's compare_files counts as i's copied tokens against j),
    for every pair at once, one document at a time."""
    n = len(fingerprints)
    values = np.concatenate([f.unique for f in fingerprints] + [np.zeros(0, np.int64)])
    docs = np.concatenate([np.full(len(f.unique), j) for j, f in enumerate(fingerprints)] + [np.zeros(0, int)])
    order = np.argsort(values, kind="stable")
    values, docs = values[order], docs[order]
    keys, first, counts = np.unique(values, return_index=True, return_counts=True)  # hash -> the documents with it
    m = np.zeros((n, n), np.int64)
    for i, f in enumerate(fingerprints):
        if not len(f.starts):
            continue
        g = np.searchsorted(keys, f.start_hashes)
        c = counts[g]
        within = np.arange(c.sum()) - np.repeat(np.cumsum(c) - c, c)
        member = np.zeros((len(g), n), bool)  # (k-gram of i, document j): j has its hash
        member[np.repeat(np.arange(len(g)), c), docs[np.repeat(first[g], c) + within]] = True
        at = np.where(member, f.starts[:, None], FAR)
        following = np.vstack([np.minimum.accumulate(at[::-1], axis=0)[::-1][1:], np.full((1, n), FAR)])
        m[i] = np.where(member, np.minimum(following - f.starts[:, None], K), 0).sum(axis=0)
    return m


def similarities(fingerprints):
    """s[i, j]: the share of both documents in matching passages, (matched in i + matched in j) /
    (all of i + all of j), from 0 to 1."""
    m = matched(fingerprints)
    coverage = np.array([f.token_coverage for f in fingerprints], dtype=float)
    total = coverage[:, None] + coverage[None, :]
    return np.divide(m + m.T, total, out=np.zeros_like(total), where=total > 0).clip(0.0, 1.0)


def matching_code(a, b):
    """((starts, ends) in a's raw text, (starts, ends) in b's) of their matching passages: copydetect's
    compare_files, which maps the filtered matches back to the code as written (for highlighting)."""
    return compare_files(a, b)[2]


def kgram_hashes(code):
    """A 64-bit hash of each k-gram of `code`. copydetect's hashed_kgrams uses Python's hash(), which
    differs between processes; this one is the same everywhere (submissions are read in parallel)."""
    grams = (code[i:i + K].encode() for i in range(len(code) - K + 1))
    return np.fromiter((int.from_bytes(hashlib.blake2b(g, digest_size=8).digest(), "little", signed=True)
                        for g in grams), np.int64, max(len(code) - K + 1, 0))


def fingerprint(texts, boilerplate=frozenset()):
    """A Fingerprint of the pieces `texts` (strings) joined, with no k-gram across two pieces and
    none in `boilerplate` (a set of hashes)."""
    document = SEPARATOR.join(texts)
    code, offsets = filter_code(document, "student.py", "python")  # one tokenization per submission
    offsets = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    all_hashes = kgram_hashes(code)
    if len(all_hashes):
        start_hashes, starts = winnow(all_hashes, WINDOW, remove_duplicates=False)
    else:
        start_hashes, starts = all_hashes, all_hashes
    starts = np.asarray(starts, dtype=np.int64)
    # A k-gram that holds the separator spans two pieces.
    seen = np.concatenate([[0], np.cumsum(np.frombuffer(code.encode("utf-32-le"), np.uint32) == ord(MARK))])
    keep = (seen[starts + K] == seen[starts]) & ~np.isin(start_hashes, np.fromiter(boilerplate, np.int64))
    order = np.argsort(starts[keep], kind="stable")
    starts, start_hashes = starts[keep][order], start_hashes[keep][order]
    hash_idx = {}
    for start, value in zip(starts.tolist(), start_hashes.tolist()):
        hash_idx.setdefault(value, []).append(start)
    coverage = int(np.minimum(np.diff(starts), K).sum()) + K if len(starts) else 0
    return Fingerprint(document.replace(MARK, " "), code, offsets, set(hash_idx), hash_idx, float(coverage),
                       K, starts, start_hashes, np.unique(start_hashes))


def hashes(texts):
    """Every hash of the pieces `texts`, fingerprinted as fingerprint() does: boilerplate to remove."""
    return frozenset(fingerprint(texts).hashes)
