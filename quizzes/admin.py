from django.contrib import admin

from quizzes.models import (
    Choice,
    Job,
    Profile,
    Question,
    Quiz,
    QuizDrawRule,
    QuizItem,
    Tag,
    Theme,
    Unit,
)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "display_name", "unit", "language")
    raw_id_fields = ("user", "unit")


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("slug", "name_vi", "name_en")


admin.site.register(Tag)


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("id", "__str__", "type", "theme", "status", "revision", "is_current", "author")
    list_filter = ("type", "status", "theme", "visibility", "is_current")
    search_fields = ("text_vi", "text_en", "search_text")
    inlines = [ChoiceInline]
    raw_id_fields = ("author", "reviewed_by", "school")


class QuizItemInline(admin.TabularInline):
    model = QuizItem
    extra = 0
    raw_id_fields = ("question",)


class QuizDrawRuleInline(admin.TabularInline):
    model = QuizDrawRule
    extra = 0


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ("title", "mode", "author", "updated_at")
    inlines = [QuizItemInline, QuizDrawRuleInline]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Read-only: jobs change through their runner (retry from the job page or the API)."""

    list_display = ("id", "kind", "owner", "status", "progress", "attempts", "created_at")
    list_filter = ("status", "kind")
    raw_id_fields = ("owner",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
