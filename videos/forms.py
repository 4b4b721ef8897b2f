from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from .models import Audience


class VideoUploadForm(forms.Form):
    """The upload's shape; whether the file is a video we take is the service's check (``video_upload_create``)."""

    file = forms.FileField(
        label="Video file",
        error_messages={"required": "Choose a video file to upload.", "empty": "This file is empty."},
        widget=forms.ClearableFileInput(attrs={"accept": "video/mp4,video/webm,video/quicktime,.mp4,.m4v,.webm,.mov"}),
    )
    title = forms.CharField(label="Title", max_length=120)
    description = forms.CharField(
        label="Description", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    audience = forms.ChoiceField(
        label="Who may watch it?", choices=Audience.choices, initial=Audience.PUBLIC, widget=forms.RadioSelect
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["file"].help_text = (
            f"MP4, WebM or MOV, up to {filesizeformat(settings.VIDEO_MAX_BYTES)} "
            f"and {settings.VIDEO_MAX_SECONDS // 60} minutes."
        )
