"""Moderation and report forms: shape only (the rules are the services')."""

from __future__ import annotations

from django import forms

from .models import ReportReason
from .services import SLOW_MODE_MAX_SECONDS

TIMEOUT_CHOICES = [
    (60, "1 minute"),
    (300, "5 minutes"),
    (600, "10 minutes"),
    (1800, "30 minutes"),
    (3600, "1 hour"),
    (6 * 3600, "6 hours"),
    (12 * 3600, "12 hours"),
    (24 * 3600, "24 hours"),
]
MAX_BLOCKED_WORDS = 200
MAX_WORD_LENGTH = 50


class RoomActionForm(forms.Form):
    """A moderator's action on a chat line of the live room: delete it, or time out or ban its sender; the creator
    may also appoint its sender as a moderator."""

    action = forms.ChoiceField(
        choices=[("delete", "Delete message"), ("timeout", "Time out"), ("ban", "Ban"), ("appoint", "Make moderator")],
        error_messages={
            "required": "Choose what to do.",
            "invalid_choice": "Choose delete, time out, ban or make moderator.",
        },
    )
    message = forms.CharField(error_messages={"required": "Choose a message."})  # an id: read by int_or_none
    seconds = forms.TypedChoiceField(
        label="Time out for",
        choices=TIMEOUT_CHOICES,
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "A timeout lasts from 1 minute to 24 hours: pick one of the choices."},
    )
    reason = forms.CharField(label="Reason (optional)", max_length=200, required=False, strip=True)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("action") == "timeout" and not data.get("seconds"):
            self.add_error("seconds", "Choose how long the timeout lasts.")
        return data


class RoomRulesForm(forms.Form):
    slow_mode_seconds = forms.IntegerField(
        label="Slow mode (seconds between one viewer's messages)",
        min_value=0,
        max_value=SLOW_MODE_MAX_SECONDS,
        initial=0,
        help_text=f"0 turns slow mode off; at most {SLOW_MODE_MAX_SECONDS}. You and your moderators are not slowed.",
        error_messages={
            "invalid": "Enter a whole number of seconds.",
            "min_value": "Use 0 to turn slow mode off.",
            "max_value": f"Slow mode is at most {SLOW_MODE_MAX_SECONDS} seconds.",
            "required": "Enter a number of seconds (0 for off).",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    blocked_words = forms.CharField(
        label="Blocked words",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text="One word or phrase a line. A message containing one (as a whole word, in any case) is refused; "
        "the viewer is not shown this list. You and your moderators are not checked.",
    )

    def clean_blocked_words(self) -> list[str]:
        seen: dict[str, str] = {}
        for line in self.cleaned_data["blocked_words"].replace(",", "\n").splitlines():
            word = " ".join(line.split())
            if not word:
                continue
            if len(word) > MAX_WORD_LENGTH:
                raise forms.ValidationError(f"“{word[:20]}…” is too long: at most {MAX_WORD_LENGTH} characters.")
            seen.setdefault(word.casefold(), word)
        if len(seen) > MAX_BLOCKED_WORDS:
            raise forms.ValidationError(f"At most {MAX_BLOCKED_WORDS} blocked words; you entered {len(seen)}.")
        return sorted(seen.values(), key=str.casefold)


class ModeratorAppointForm(forms.Form):
    handle = forms.CharField(
        label="Creator handle",
        max_length=31,
        help_text=(
            "Appoint a creator by their handle, e.g. @ann. To appoint a viewer, press Moderate on one of their chat "
            "messages in your live room, then Make moderator. Moderators can act only in your rooms."
        ),
        error_messages={"required": "Enter the handle of the person to appoint."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "@handle"}),
    )


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label="What is wrong?",
        choices=ReportReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what is wrong.", "invalid_choice": "Choose one of the reasons."},
    )
    text = forms.CharField(
        label="Anything staff should know (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "At most %(limit_value)d characters, please."},
    )
