from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("realtime", "0005_h8_venues"),
    ]

    operations = [
        migrations.AddField(
            model_name="game",
            name="active_players",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunSQL(
            "UPDATE realtime_game SET active_players = (SELECT count(*) FROM realtime_player"
            " WHERE realtime_player.game_id = realtime_game.id AND NOT realtime_player.banned)",
            migrations.RunSQL.noop,
        ),
    ]
