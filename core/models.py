"""What a person chose for themselves, kept across browsers: language and time zone."""
from django.conf import settings
from core.cache import best_effort as cache  # an unreachable cache reads as empty (core/cache.py)
from django.db import models
from django.utils.translation import gettext_lazy as _

CACHE_KEY = "core:preference:{}"
CACHE_SECONDS = 3600


class UserPreference(models.Model):
    """One row per user who picked something; no row means "the browser decides"."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="preference"
    )
    language = models.CharField(_("language"), max_length=15, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self):
        return f"{self.user_id}: {self.language or '-'} {self.time_zone or '-'}"

    @classmethod
    def of(cls, user_id):
        """(language, time_zone) for a user, '' where they chose nothing: one cache read on
        every request, the database only on a miss."""
        key = CACHE_KEY.format(user_id)
        chosen = cache.get(key)
        if chosen is None:
            row = cls.objects.filter(user_id=user_id).values_list("language", "time_zone").first()
            chosen = tuple(row) if row else ("", "")
            cache.set(key, chosen, CACHE_SECONDS)
        return chosen

    @classmethod
    def store(cls, user_id, **choices):
        """Save `language` and/or `time_zone` for a user and refresh the cached copy."""
        row, _created = cls.objects.update_or_create(user_id=user_id, defaults=choices)
        cache.set(CACHE_KEY.format(user_id), (row.language, row.time_zone), CACHE_SECONDS)
        return row
