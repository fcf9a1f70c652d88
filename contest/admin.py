from __future__ import annotations

from django.contrib import admin

from contest.models import Attempt, AuditEntry, Contest, Correction, Participant, Round, RoundResult


class RoundInline(admin.TabularInline):
    model = Round
    extra = 0
    fields = (
        "position",
        "title_vi",
        "kind",
        "opens_at",
        "closes_at",
        "quiz",
        "max_attempts",
        "counting",
        "weight",
    )


@admin.register(Contest)
class ContestAdmin(admin.ModelAdmin):
    list_display = ("title_vi", "slug", "is_published", "created_at")
    filter_horizontal = ("staff",)
    inlines = [RoundInline]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("full_name", "public_name", "contest", "school", "email", "phone")
    list_filter = ("contest",)
    search_fields = ("full_name", "email", "phone")
    raw_id_fields = ("user", "unit", "class_unit", "school", "district", "province")


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = (
        "participant",
        "round",
        "number",
        "status",
        "score",
        "started_at",
        "submitted_at",
    )
    list_filter = ("status", "round")
    raw_id_fields = ("participant",)


@admin.register(RoundResult)
class RoundResultAdmin(admin.ModelAdmin):
    list_display = ("round", "participant", "nickname", "score", "rank", "prediction", "time_ms")
    list_filter = ("round",)
    raw_id_fields = ("participant", "attempt", "unit")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "contest", "round", "actor", "action", "summary")
    list_filter = ("action",)


admin.site.register(Correction)
