"""Which state issued a plate, from the words printed around its number.

US plates print the state's name (or a slogan or web address that names it) above or below the
number. The engine reads those strips with a general text recognizer; this module matches what it
read against the names, tolerating a misread letter or two.
"""

from __future__ import annotations

from difflib import SequenceMatcher

# Names and phrases that identify a state on its plates (letters only, uppercase when matched).
STATE_WORDS: dict[str, tuple[str, ...]] = {
    "AL": ("ALABAMA", "HEART OF DIXIE"),
    "AK": ("ALASKA", "LAST FRONTIER"),
    "AZ": ("ARIZONA", "GRAND CANYON STATE"),
    "AR": ("ARKANSAS", "NATURAL STATE"),
    "CA": ("CALIFORNIA", "DMV CA GOV"),
    "CO": ("COLORADO",),
    "CT": ("CONNECTICUT", "CONSTITUTION STATE"),
    "DE": ("DELAWARE", "FIRST STATE"),
    "DC": ("DISTRICT OF COLUMBIA", "TAXATION WITHOUT REPRESENTATION", "WASHINGTON DC", "CELEBRATE DIVERSITY"),
    "FL": ("FLORIDA", "SUNSHINE STATE"),
    "GA": ("GEORGIA", "PEACH STATE"),
    "HI": ("HAWAII", "ALOHA STATE"),
    "ID": ("IDAHO", "FAMOUS POTATOES"),
    "IL": ("ILLINOIS", "LAND OF LINCOLN"),
    "IN": ("INDIANA", "CROSSROADS OF AMERICA"),
    "IA": ("IOWA",),
    "KS": ("KANSAS",),
    "KY": ("KENTUCKY", "UNBRIDLED SPIRIT"),
    "LA": ("LOUISIANA", "SPORTSMANS PARADISE"),
    "ME": ("MAINE", "VACATIONLAND"),
    "MD": ("MARYLAND",),
    "MA": ("MASSACHUSETTS", "SPIRIT OF AMERICA"),
    "MI": ("MICHIGAN", "GREAT LAKES", "PURE MICHIGAN"),
    "MN": ("MINNESOTA", "LAKES"),
    "MS": ("MISSISSIPPI",),
    "MO": ("MISSOURI", "SHOW ME STATE"),
    "MT": ("MONTANA", "TREASURE STATE"),
    "NE": ("NEBRASKA",),
    "NV": ("NEVADA", "SILVER STATE", "HOME MEANS NEVADA"),
    "NH": ("NEW HAMPSHIRE", "LIVE FREE OR DIE"),
    "NJ": ("NEW JERSEY", "GARDEN STATE"),
    "NM": ("NEW MEXICO", "LAND OF ENCHANTMENT"),
    "NY": ("NEW YORK", "EMPIRE STATE", "EXCELSIOR"),
    "NC": ("NORTH CAROLINA", "FIRST IN FLIGHT", "FIRST IN FREEDOM"),
    "ND": ("NORTH DAKOTA", "PEACE GARDEN STATE", "LEGENDARY"),
    "OH": ("OHIO", "BIRTHPLACE OF AVIATION"),
    "OK": ("OKLAHOMA", "NATIVE AMERICA"),
    "OR": ("OREGON",),
    "PA": ("PENNSYLVANIA", "VISITPA COM", "KEYSTONE STATE"),
    "RI": ("RHODE ISLAND", "OCEAN STATE"),
    "SC": ("SOUTH CAROLINA", "WHILE I BREATHE I HOPE"),
    "SD": ("SOUTH DAKOTA", "GREAT FACES GREAT PLACES", "MOUNT RUSHMORE"),
    "TN": ("TENNESSEE", "VOLUNTEER STATE"),
    "TX": ("TEXAS", "LONE STAR STATE"),
    "UT": ("UTAH", "GREATEST SNOW ON EARTH", "LIFE ELEVATED"),
    "VT": ("VERMONT", "GREEN MOUNTAIN STATE"),
    "VA": ("VIRGINIA", "VIRGINIA IS FOR LOVERS"),
    "WA": ("WASHINGTON", "EVERGREEN STATE"),
    "WV": ("WEST VIRGINIA", "WILD WONDERFUL"),
    "WI": ("WISCONSIN", "AMERICAS DAIRYLAND"),
    "WY": ("WYOMING",),
}

_PHRASES = sorted(
    (
        (code, "".join(ch for ch in phrase if ch.isalpha()))
        for code, phrases in STATE_WORDS.items()
        for phrase in phrases
    ),
    key=lambda item: -len(item[1]),
)
MIN_SCORE = 0.8


def match_state(text: str) -> tuple[str, float] | None:
    """The state whose name or phrase best matches somewhere in `text`, with a 0..1 score.

    None when nothing matches well. Longer phrases win ties, so "WEST VIRGINIA" is not read as
    "VIRGINIA" nor "ARKANSAS" as "KANSAS".
    """
    letters = "".join(ch for ch in text.upper() if "A" <= ch <= "Z")
    if len(letters) < 4:
        return None
    best: tuple[str, float, int] | None = None
    for code, phrase in _PHRASES:
        n = len(phrase)
        if n > len(letters) + 2:
            continue
        score = 0.0
        for start in range(0, max(1, len(letters) - n + 1)):
            window = letters[max(0, start - 1) : start + n + 1]
            score = max(
                score, SequenceMatcher(None, phrase, window, autojunk=False).ratio() * min(1.0, n / 5)
            )
            if score == 1.0:
                break
        # Short words ("IOWA", "OHIO") need an exact, whole-word match to count.
        if n <= 5 and score < 1.0 and phrase not in letters:
            continue
        if score >= MIN_SCORE and (
            best is None or score > best[1] + 1e-9 or (abs(score - best[1]) < 1e-9 and n > best[2])
        ):
            best = (code, score, n)
    return (best[0], round(best[1], 3)) if best else None
