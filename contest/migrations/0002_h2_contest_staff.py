# Contest staff (issue 12, point 8): each contest has its own staff instead of "every organiser".

from django.conf import settings
from django.db import migrations, models


def staff_from_existing_access(apps, schema_editor):
    """Nobody loses access to a contest they could run before: the creator becomes its staff; a
    contest with no creator recorded gets the organisers of the time (the admin can prune them)."""
    Contest = apps.get_model("contest", "Contest")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    organisers = list(User.objects.filter(groups__name="organiser").values_list("pk", flat=True))
    for contest in Contest.objects.all():
        if contest.created_by_id:
            contest.staff.add(contest.created_by_id)
        elif organisers:
            contest.staff.add(*organisers)


class Migration(migrations.Migration):
    dependencies = [
        ("contest", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="contest",
            name="staff",
            field=models.ManyToManyField(
                blank=True,
                related_name="staffed_contests",
                to=settings.AUTH_USER_MODEL,
                verbose_name="staff",
            ),
        ),
        migrations.RunPython(staff_from_existing_access, migrations.RunPython.noop),
    ]
