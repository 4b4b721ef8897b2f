"""Names people show each other (nicknames, creator display names and handles): which characters they may hold, and
when two of them look the same.

One place for the rule: ``accounts.services`` calls ``public_name_check`` for every nickname, display name and handle
it saves. Two names "look the same" when their *skeletons* are equal: Unicode NFKC, accents dropped, every character
that Unicode's confusables list (``confusable-homoglyphs``) gives a Latin letter or digit look-alike for replaced by it,
case folded, spacing and punctuation dropped, and a few look-alikes that table does not join folded together
(``ASCII_FOLDS``, ``SEQUENCE_FOLDS``). So "Ada", "ADA", "a d a", "Ádá" and "Ad\\u0430" (a Cyrillic a) share one
skeleton.
"""

from __future__ import annotations

import string
import unicodedata
from functools import cache

from confusable_homoglyphs.confusables import confusables_data
from django.core.exceptions import ValidationError

# Control characters (a newline broke email headers), format characters (bidirectional overrides that reverse how a
# name reads, zero-width joiners), unassigned and private-use code points, line and paragraph separators.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

# Handles (and names) that would look like the platform speaking. Compared by skeleton, so "Supp0rt" is refused too.
RESERVED_NAMES = frozenset(
    {
        "abuse", "admin", "administrator", "anonymous", "api", "billing", "coinshop", "deleted", "help", "helpdesk",
        "info", "mod", "moderator", "noreply", "official", "payments", "payouts", "root", "security", "staff",
        "support", "system", "team", "webmaster",
    }
)  # fmt: skip

ASCII_ALNUM = frozenset(string.ascii_lowercase + string.digits)
# Look-alikes among plain letters and digits themselves: 0/o, 1/l/I (I is folded to i by the case step).
ASCII_FOLDS = str.maketrans({"0": "o", "1": "l", "i": "l"})
SEQUENCE_FOLDS = (("rn", "m"), ("vv", "w"))


@cache
def _latin_lookalike(char: str) -> str:
    """The Latin letter or digit ``char`` is confusable with (itself when it is one, or when it has none)."""
    if char.casefold() in ASCII_ALNUM:
        return char
    for glyph in confusables_data.get(char, ()):
        candidate = glyph["c"].strip("\u200e\u200f")
        if len(candidate) == 1 and candidate.casefold() in ASCII_ALNUM:
            return candidate
    return char


def name_skeleton(value: str) -> str:
    """What ``value`` looks like, for comparing names: equal skeletons mean one name could pass for the other."""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", value))
    chars = [_latin_lookalike(c) for c in decomposed if unicodedata.category(c) != "Mn"]
    folded = "".join(_latin_lookalike(c) for c in "".join(chars).casefold())
    skeleton = "".join(c for c in folded.casefold() if c.isalnum()).translate(ASCII_FOLDS)
    for sequence, replacement in SEQUENCE_FOLDS:
        skeleton = skeleton.replace(sequence, replacement)
    return skeleton


RESERVED_SKELETONS = frozenset(name_skeleton(name) for name in RESERVED_NAMES)


def name_characters_check(value: str, *, label: str) -> None:
    """Refuse control, format (bidirectional override, zero-width) and unassigned characters, with a message."""
    if any(unicodedata.category(c) in FORBIDDEN_CATEGORIES for c in value):
        raise ValidationError(
            f"{label} may not contain line breaks, control characters or characters that change the reading "
            "direction; please use letters, digits, spaces and ordinary punctuation."
        )


def name_reserved_check(value: str, *, label: str) -> None:
    if name_skeleton(value) in RESERVED_SKELETONS:
        raise ValidationError(
            f"{label} “{value}” is reserved (it could be taken for Coinshop itself); please choose another."
        )
