"""CTC decoding that knows what a plate is.

Input is the recognizer's per-timestep probabilities over ``BLANK + ALPHABET`` (column 0 is the
CTC blank). Output is a ranked list of plate strings, each with per-character probabilities, where
alternatives come from the recognizer's own second choices at the least certain positions (so a
0/O or 1/I confusion is settled by the model's probabilities, never by a blind substitution table).
"""

from __future__ import annotations

import dataclasses
import heapq
import re
from dataclasses import dataclass

import numpy as np

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BLANK = 0
N_CLASSES = len(ALPHABET) + 1

# US plates carry 1 to 8 characters; most carry 5 to 7.
MIN_PLATE_LEN = 2
MAX_PLATE_LEN = 8
_STROKES = re.compile("[1I]{4}")

# Standard serial formats of US passenger plates, letter (A) and digit (9) positions without spaces
# or dashes, and states that issue or issued them. Vanity and special plates follow none; a reading
# that fits one is preferred (FORMAT_BONUS) over readings of the same row that do not. All-digit
# serials (DE, RI, NH) are left out: a digit too many from the frame would fit them too.
US_SERIAL_FORMATS = {
    "9AAA999": "CA",
    "AAA9999": "TX NY PA OH MI GA NC VA WA AZ WI",
    "AAA999": "AK HI VT SC ND NM LA MS MN IA NE OK OR FL",
    "999AAA": "AR KS KY OK OR NV CT IA WI CO TN MN TX AZ",
    "AA9A9A": "MO",
    "A99AAA": "NJ",
    "AAA99A": "NJ KY",
    "9AA9999": "MD",
    "AA99999": "IL",
    "A999999": "IL LA",
    "AA9999": "DC GA VA",
    "9999AA": "VA ME IA",
    "99AA99": "MA",
    "9AA999": "SD WV NE",
    "A999AA": "FL UT",
    "AA9A999": "TX",
    "AAAA99": "CO FL",
    "999AA9": "MA",
    "99A999": "NV",
    "9A9999A": "AL",
    "99A999A": "AL",
    "AA999": "RI",
    "9A9999": "NE WV",
}
# The second reader in `combine` (PP-OCR, a general text recognizer) picks between 0 and O by
# English spelling (`CONNMAN`, `AGOR6T`), while many states print the two alike: its likelihood
# counts them as one glyph, so that plate-crnn, trained on plates, tells them apart.
SECOND_READER_SAME = (("0", "O"),)
# Log-odds added in `combine` to a reading that fits a US serial format. Step 20 chose 1 with dev in
# view; chosen again on the development sets alone (docs/recognition.md, step 42): against 1, 0 and
# 0.5 lose a plate, 1.5 gains one (`778AOS`) and loses none, 2 gains it and loses another.
FORMAT_BONUS = 1.5
# A glyph plate-crnn reads with at least this probability is one it is sure of: the second reader
# may still outvote it in `combine`, but never silently (`contested`). On the development sets the
# second opinion changed such a glyph on 3 of 200 far scenes, 3 of 200 near ones and 2 of the 125
# crops of the tuning half, right about as often as wrong.
SURE_GLYPH = 0.9
# A reading in a serial format whose every glyph plate-crnn reads with at least this probability gets
# no second opinion (`needs_second_opinion`). Chosen on the development sets (docs/recognition.md,
# steps 26 and 28): with plate-crnn-329abb94, 0.98 gained a plate on the far and on the near scenes
# and 0.9 none; with plate-crnn-e99e9826, 0.9, 0.95 and 0.98 read the same on all three sets, and
# 0.9 asks least often.
NO_SECOND_OPINION_ABOVE = 0.9
# Names how `combine` chooses between readings and `state_serial` respells the chosen one, so that a
# read records the rules it was made with (Engine.model_version). Change it with any of the settings
# above or with either rule.
DECODING_VERSION = "us-formats-1+bonus-1.5+same-0O+contested-0.9+sure-0.9+state-0O"


@dataclass(frozen=True)
class Decoded:
    """One reading of one crop: text, its probability, and each character's probability."""

    text: str
    confidence: float
    char_confidences: tuple[float, ...]


def serial_pattern(text: str) -> str:
    """A plate string as its letter (A) and digit (9) positions: `7ABC123` -> `9AAA999`."""
    return "".join("9" if ch.isdigit() else "A" for ch in text)


def fits_serial_format(text: str) -> bool:
    """Whether a string fits one of the states' standard serial formats (US_SERIAL_FORMATS)."""
    return serial_pattern(text) in US_SERIAL_FORMATS


# The formats of each state (US_SERIAL_FORMATS read the other way).
_STATE_FORMATS: dict[str, frozenset[str]] = {
    state: frozenset(pattern for pattern, states in US_SERIAL_FORMATS.items() if state in states.split())
    for state in {state for states in US_SERIAL_FORMATS.values() for state in states.split()}
}


def state_serial(text: str, state: str | None) -> str:
    """The reading with its 0s and Os as the state's serial formats have them. Many states print the
    two alike, so where the state was read, the text fits none of its formats, and exactly one way
    of writing its 0s and Os does, that one; otherwise the text as read (docs/recognition.md, step
    40)."""
    formats = _STATE_FORMATS.get(state or "")
    positions = [i for i, ch in enumerate(text) if ch in "0O"]
    pattern = serial_pattern(text)
    if not formats or not positions or pattern in formats:
        return text
    # A 0 or O at a letter's place of a format is O, at a digit's place 0: each fitting format
    # gives one way of writing them.
    fitting = {
        "".join(
            ("O" if kind == "A" else "0") if i in positions else ch
            for i, (ch, kind) in enumerate(zip(text, fmt, strict=True))
        )
        for fmt in formats
        if len(fmt) == len(text)
        and all(kind == pattern[i] for i, kind in enumerate(fmt) if i not in positions)
    }
    return fitting.pop() if len(fitting) == 1 else text


def plate_prior(text: str) -> float:
    """How plate-like a string is before looking at the image: its length, and whether it mixes
    letters and digits as nearly all US serials do (all-digit strings are mostly timestamps and
    street numbers; all-letter ones mostly words on signs, frames and bumper stickers). Four thin
    strokes in a row (1 or I) are a grille, ribs or a fence: no label of the 4,070 real US and
    Brazilian plates in the benchmarks has them."""
    prior = length_prior(len(text))
    has_digit = any(ch.isdigit() for ch in text)
    has_letter = any(ch.isalpha() for ch in text)
    if not (has_digit and has_letter):
        prior *= 0.45
    return prior * 0.2 if _STROKES.search(text) else prior


@dataclass(frozen=True)
class _Slot:
    """One emitted character of the best path with its alternatives, best first."""

    options: tuple[tuple[int, float], ...]  # (class index, probability); index BLANK means "drop it"


def length_prior(n: int) -> float:
    """How plausible a plate of n characters is, before looking at the image (1.0 = typical)."""
    if 5 <= n <= 7:
        return 1.0
    if n in (4, 8):
        return 0.8
    if n == 3:
        return 0.4
    if MIN_PLATE_LEN <= n < 3:
        return 0.15
    return 0.02


def _slots(probs: np.ndarray, max_alternatives: int) -> list[_Slot]:
    """Segments of the best path: consecutive timesteps with the same non-blank argmax."""
    best = probs.argmax(axis=1)
    slots: list[_Slot] = []
    t = 0
    n = len(best)
    while t < n:
        c = int(best[t])
        if c == BLANK:
            t += 1
            continue
        end = t
        while end + 1 < n and int(best[end + 1]) == c:
            end += 1
        segment = probs[t : end + 1]
        peak = t + int(segment[:, c].argmax())
        row = probs[peak]
        order = np.argsort(-row[1:])[:max_alternatives] + 1
        options = [(int(k), float(row[k])) for k in order]
        # Dropping the character is the alternative when the blank is strong at its peak.
        options.append((BLANK, float(row[BLANK])))
        options.sort(key=lambda o: -o[1])
        slots.append(_Slot(tuple(options)))
        t = end + 1
    return slots


def decode(probs: np.ndarray, *, n_candidates: int = 5, max_alternatives: int = 2) -> list[Decoded]:
    """Ranked plate readings of one crop, best first; [] when nothing legible was emitted.

    ``probs`` has shape (T, N_CLASSES) and rows summing to 1. Candidates are the highest
    probability combinations of each character's best alternatives (k-best over the slots),
    re-ranked with the length prior.
    """
    if probs.ndim != 2 or probs.shape[1] != N_CLASSES:
        raise ValueError(f"expected (T, {N_CLASSES}) probabilities, got {probs.shape}")
    slots = _slots(probs, max_alternatives)
    if not slots:
        return []
    # k-best search over the product of per-slot options (lazy, in log space).
    logs = [[(k, np.log(max(p, 1e-9))) for k, p in s.options] for s in slots]
    start = tuple(0 for _ in slots)
    start_score = sum(opts[0][1] for opts in logs)
    heap: list[tuple[float, tuple[int, ...]]] = [(-start_score, start)]
    seen = {start}
    results: list[Decoded] = []
    pops = 0
    while heap and len(results) < n_candidates * 4 and pops < 200:
        pops += 1
        neg, choice = heapq.heappop(heap)
        chars = []
        confs = []
        for slot_opts, pick in zip(logs, choice, strict=True):
            k, lp = slot_opts[pick]
            if k != BLANK:
                chars.append(ALPHABET[k - 1])
                confs.append(float(np.exp(lp)))
        text = "".join(chars)
        if text and all(r.text != text for r in results):
            results.append(Decoded(text, float(np.exp(-neg)), tuple(confs)))
        for i in range(len(choice)):
            if choice[i] + 1 < len(logs[i]):
                nxt = (*choice[:i], choice[i] + 1, *choice[i + 1 :])
                if nxt not in seen:
                    seen.add(nxt)
                    score = -neg - logs[i][choice[i]][1] + logs[i][choice[i] + 1][1]
                    heapq.heappush(heap, (-score, nxt))
    # Within one crop the model's own probabilities decide (with the length prior); the letter and
    # digit mix only helps to choose between crops (see plate_prior).
    results.sort(key=lambda r: -r.confidence * length_prior(len(r.text)))
    return results[:n_candidates]


def log_likelihood(probs: np.ndarray, text: str) -> float:
    """log P(text | probs) under CTC: the sum over every alignment of the text (forward algorithm),
    so two recognizers can score the same strings, not only their own best paths."""
    return float(log_likelihoods(probs, [text])[0])


def log_likelihoods(probs: np.ndarray, texts: list[str]) -> np.ndarray:
    """`log_likelihood` of each text, all in one pass over the timesteps."""
    # Each text as CTC states: blank, first character, blank, second character, ..., blank.
    states = [[BLANK, *(s for ch in text for s in (ALPHABET.index(ch) + 1, BLANK))] for text in texts]
    lengths = np.array([len(st) for st in states])
    width = int(lengths.max())
    ext = np.zeros((len(texts), width), np.int64)
    for i, st in enumerate(states):
        ext[i, : len(st)] = st
    valid = np.arange(width)[None, :] < lengths[:, None]
    logp = np.log(np.maximum(probs, 1e-12))[:, ext]  # (T, texts, states)
    logp[:, ~valid] = -np.inf  # padding: never reached
    # A character may follow the one two states back directly (skipping the blank) unless they repeat.
    shifted = np.concatenate([np.full((len(texts), 2), -1), ext[:, :-2]], axis=1)
    skip = (ext != BLANK) & (ext != shifted)
    alpha = np.full((len(texts), width), -np.inf)
    alpha[:, :2] = logp[0, :, :2]
    for t in range(1, probs.shape[0]):
        prev1 = np.concatenate([np.full((len(texts), 1), -np.inf), alpha[:, :-1]], axis=1)
        prev2 = np.where(
            skip, np.concatenate([np.full((len(texts), 2), -np.inf), alpha[:, :-2]], axis=1), -np.inf
        )
        alpha = np.logaddexp(np.logaddexp(alpha, prev1), prev2) + logp[t]
    rows = np.arange(len(texts))
    last = alpha[rows, lengths - 1]
    # A path may end on the last character or on the blank after it (an empty text: the blank only).
    before = np.where(lengths > 1, alpha[rows, np.maximum(lengths - 2, 0)], -np.inf)
    return np.asarray(np.logaddexp(last, before))


def _fold(
    probs: np.ndarray, texts: list[str], same: tuple[tuple[str, str], ...]
) -> tuple[np.ndarray, list[str]]:
    """Probabilities and texts with each pair (kept, folded) made one class: the folded symbol's
    probability moves to the kept one, and the texts spell it as the kept one."""
    probs = probs.copy()
    for kept, folded in same:
        k, f = ALPHABET.index(kept) + 1, ALPHABET.index(folded) + 1
        probs[:, k] += probs[:, f]
        probs[:, f] = 0.0
        texts = [t.replace(folded, kept) for t in texts]
    return probs, texts


def combine(own: np.ndarray, second: np.ndarray, own_weight: float) -> list[Decoded]:
    """Two recognizers' readings of one row, combined: every string either proposes is scored by
    both models' CTC likelihood (`log_likelihoods`), own_weight x the first's + the rest x the
    second's in log space (the second's 0 and O counted as one glyph, SECOND_READER_SAME), x the
    length prior, x e^FORMAT_BONUS when the string fits a US serial format; best first. Each keeps
    the probabilities of the model that proposed it (the surer one when both did)."""
    proposals: dict[str, Decoded] = {}
    for option in [*decode(own), *decode(second)]:
        if len(option.text) >= MIN_PLATE_LEN and (
            option.text not in proposals or option.confidence > proposals[option.text].confidence
        ):
            proposals[option.text] = option
    if not proposals:
        return []
    texts = list(proposals)
    folded, folded_texts = _fold(second, texts, SECOND_READER_SAME)
    scores = (
        own_weight * log_likelihoods(own, texts)
        + (1 - own_weight) * log_likelihoods(folded, folded_texts)
        + np.log([length_prior(len(t)) for t in texts])
        + FORMAT_BONUS * np.array([fits_serial_format(t) for t in texts])
    )
    return [proposals[texts[i]] for i in np.argsort(-scores, kind="stable")]


def contested(own: Decoded, chosen: Decoded) -> Decoded:
    """`chosen` (the combined readers' choice), with each glyph it changed from one plate-crnn was
    sure of (`own`, SURE_GLYPH) given plate-crnn's doubt (1 - its probability) as its confidence:
    the read then shows as low confidence, for a person to check, instead of a confident read of a
    glyph nobody saw. Across lengths glyphs cannot be paired: against a reading sure of every glyph,
    every glyph of the choice is doubted."""
    if own.text == chosen.text:
        return chosen
    if len(own.text) != len(chosen.text):
        if not own.char_confidences or min(own.char_confidences) < SURE_GLYPH:
            return chosen
        doubt = 1.0 - min(own.char_confidences)
        return dataclasses.replace(
            chosen, char_confidences=tuple(min(c, doubt) for c in chosen.char_confidences)
        )
    confidences = tuple(
        min(c, 1.0 - o) if a != b and o >= SURE_GLYPH else c
        for a, b, o, c in zip(
            own.text, chosen.text, own.char_confidences, chosen.char_confidences, strict=True
        )
    )
    return dataclasses.replace(chosen, char_confidences=confidences)


def needs_second_opinion(own: Decoded) -> bool:
    """Whether the general recognizer should re-read the best plate: not when plate-crnn read a
    serial format with every glyph at NO_SECOND_OPINION_ABOVE or more."""
    return not (
        fits_serial_format(own.text)
        and bool(own.char_confidences)
        and min(own.char_confidences) >= NO_SECOND_OPINION_ABOVE
    )
