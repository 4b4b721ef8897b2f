from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.template.defaultfilters import filesizeformat

from accounts.models import CreatorProfile
from videos.models import Video

from .models import PostAudience
from .selectors import posts_video_choices
from .services import TEASER_MAX_LENGTH, PostContent


class PostForm(forms.Form):
    """A post's shape; whether the image is one we take is the service's check (``posts.services``)."""

    text = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 6}))
    teaser = forms.CharField(
        label="Teaser (optional)",
        max_length=TEASER_MAX_LENGTH,
        required=False,
        help_text="Shown to everyone, also while the post is locked.",
    )
    image = forms.FileField(
        label="Image (optional)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
        error_messages={"empty": "This file is empty."},
    )
    video = forms.ModelChoiceField(
        label="Or one of your videos (optional)", queryset=Video.objects.none(), required=False, empty_label="No video"
    )
    audience = forms.ChoiceField(
        label="Who may see it?", choices=PostAudience.choices, initial=PostAudience.EVERYONE, widget=forms.RadioSelect
    )
    min_coins = forms.IntegerField(
        label="Supporters: coins gifted at least", required=False, min_value=1, max_value=100_000_000
    )
    window_days = forms.IntegerField(
        label="Supporters: in the last (days)", required=False, min_value=1, max_value=settings.POST_SUPPORTER_MAX_DAYS
    )

    def __init__(self, *args: Any, creator: CreatorProfile, has_image: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].validators.append(MaxLengthValidator(settings.POST_MAX_LENGTH))
        self.fields["text"].widget.attrs["maxlength"] = str(settings.POST_MAX_LENGTH)
        self.fields["text"].help_text = f"At most {settings.POST_MAX_LENGTH:,} characters."
        self.fields["image"].help_text = (
            f"PNG, JPEG, GIF or WebP, up to {filesizeformat(settings.POST_IMAGE_MAX_BYTES)} and "
            f"{settings.POST_IMAGE_MAX_PIXELS / 1_000_000:g} million pixels."
        )
        self.fields["video"].queryset = posts_video_choices(creator=creator)  # type: ignore[attr-defined]
        if has_image:
            self.fields["remove_image"] = forms.BooleanField(label="Remove the current image", required=False)

    def clean_image(self) -> Any:
        image = self.cleaned_data.get("image")
        if image and image.size > settings.POST_IMAGE_MAX_BYTES:
            raise forms.ValidationError(
                f"The image is too large: the limit is {filesizeformat(settings.POST_IMAGE_MAX_BYTES)}."
            )
        return image or None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("audience") == PostAudience.SUPPORTERS:
            if not data.get("min_coins"):
                self.add_error("min_coins", "Say how many coins supporters must have gifted.")
            if not data.get("window_days"):
                self.add_error("window_days", "Say in how many days.")
        if data.get("image") and data.get("video"):
            self.add_error("video", "Add an image or a video, not both.")
        return data

    def content(self) -> PostContent:
        d = self.cleaned_data
        return PostContent(
            text=d["text"],
            teaser=d.get("teaser") or "",
            audience=d["audience"],
            min_coins=d.get("min_coins"),
            window_days=d.get("window_days"),
            video=d.get("video"),
        )
