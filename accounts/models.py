"""People: the custom user (email login, date of birth for the age gate, preferences) and creator profiles."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .names import name_skeleton


class CoinshopUserManager(UserManager["User"]):
    """Users are identified by email; there is no username."""

    def _create_user(self, email: str, password: str | None, **extra_fields: object) -> User:  # type: ignore[override]
        email = self.normalize_email(email)
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields: object) -> User:  # type: ignore[override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields: object) -> User:  # type: ignore[override]
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class GiftVisibility(models.TextChoices):
    PUBLIC = "public", "Public (my name is shown)"
    ANONYMOUS = "anonymous", "Anonymous"


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    date_of_birth = models.DateField(null=True, blank=True)
    # Private by default (opt-in): a new account's gifts are anonymous and it is left off leaderboards until the
    # person chooses otherwise on the sign-up form or their preferences.
    default_gift_visibility = models.CharField(
        max_length=10, choices=GiftVisibility.choices, default=GiftVisibility.ANONYMOUS
    )
    show_on_leaderboards = models.BooleanField(default=False)
    nickname = models.CharField(
        max_length=40, blank=True, help_text="The name others see next to your public gifts (never your email)."
    )
    is_frozen = models.BooleanField(
        default=False, help_text="Frozen accounts may log in and watch, but not buy, gift or request payouts."
    )
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = CoinshopUserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email

    def age_on(self, day: datetime.date) -> int | None:
        if self.date_of_birth is None:
            return None
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))

    @property
    def is_adult(self) -> bool:
        age = self.age_on(timezone.localdate())
        return age is not None and age >= settings.ADULT_AGE

    @property
    def public_name(self) -> str:
        """What other people see: the creator name, the nickname, or a neutral label. Never the email."""
        creator = getattr(self, "creator", None)
        if creator is not None:
            return str(creator.display_name)
        return self.nickname or f"Viewer {self.pk}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


handle_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9_-]{1,28}[a-z0-9])$",
    "Use 3-30 lowercase letters, digits, '-' or '_', starting and ending with a letter or digit.",
)


def avatar_upload_to(instance: CreatorProfile, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "img"
    return f"avatars/{instance.user_id}-{timezone.now():%Y%m%d%H%M%S}.{ext}"


class CreatorProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="creator")
    handle = models.CharField(max_length=30, unique=True, validators=[handle_validator])
    display_name = models.CharField(max_length=60)
    bio = models.TextField(max_length=1000, blank=True)
    avatar = models.ImageField(upload_to=avatar_upload_to, blank=True)
    accepts_gifts = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # What the handle and display name look like (``accounts.names.name_skeleton``): nobody may take a name that
    # could pass for a creator's. Derived from the two fields on every save.
    handle_skeleton = models.CharField(max_length=60, blank=True, editable=False, db_index=True)
    display_name_skeleton = models.CharField(max_length=120, blank=True, editable=False, db_index=True)

    class Meta:
        ordering = ["handle"]

    def __str__(self) -> str:
        return f"@{self.handle}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.handle_skeleton = name_skeleton(self.handle)[:60]
        self.display_name_skeleton = name_skeleton(self.display_name)[:120]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "handle_skeleton", "display_name_skeleton"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("creator_page", kwargs={"handle": self.handle})


class AuditLog(models.Model):
    """Every staff action that moves money or changes an account, append-only. Written by the action itself, in its
    own database transaction (``accounts.audit.audit_record``), so it is logged if and only if the change commits.

    It lives in ``accounts``, at the bottom of the import order, so every app can write it directly. The table keeps
    the name it had when the payouts app held the model: the rows written then are the same log.
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    details = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    class Meta:
        db_table = "payouts_auditlog"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"
