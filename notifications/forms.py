"""The preferences form: one checkbox per kind and channel."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import ALWAYS_EMAILED, NotificationKind

CHANNELS = (("in_app", "in the app"), ("email", "by email"))
ALWAYS_EMAILED_NOTE = (
    "Security notices are always emailed: they tell you when someone else may be using your account, and whoever "
    "it is must not be able to turn them off."
)


def field_name(kind: str, channel: str) -> str:
    return f"{kind}__{channel}"


class NotificationPreferencesForm(forms.Form):
    def __init__(self, *args: Any, current: dict[str, tuple[bool, bool]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            for index, (channel, channel_label) in enumerate(CHANNELS):
                always = channel == "email" and kind in ALWAYS_EMAILED
                self.fields[field_name(kind, channel)] = forms.BooleanField(
                    required=False,
                    initial=True if always else current[kind][index],
                    disabled=always,  # shown ticked; what is posted for it is ignored
                    label=f"{label}: {channel_label}",
                )
                if always:
                    self.fields[field_name(kind, channel)].widget.attrs["aria-describedby"] = f"note-{kind}"

    def rows(self) -> list[dict[str, Any]]:
        """The form as a table: a row per kind, a checkbox per channel."""
        return [
            {
                "label": label,
                "fields": [self[field_name(kind, channel)] for channel, _ in CHANNELS],
                "note": ALWAYS_EMAILED_NOTE if kind in ALWAYS_EMAILED else "",
                "note_id": f"note-{kind}",
            }
            for kind, label in NotificationKind.choices
        ]

    def choices(self) -> dict[str, tuple[bool, bool]]:
        data = self.cleaned_data
        return {
            kind: (bool(data[field_name(kind, "in_app")]), bool(data[field_name(kind, "email")]))
            for kind in NotificationKind.values
        }
