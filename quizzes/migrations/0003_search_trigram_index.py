"""Trigram GIN index on Question.search_text so `LIKE '%word%'` search stays fast on PostgreSQL.

A no-op on SQLite (and any other database): search still works there, by a sequential scan.
"""

from django.db import migrations


class PostgresOnlySQL(migrations.operations.base.Operation):
    """Runs SQL only when the database is PostgreSQL."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, sql, reverse_sql):
        self.sql = sql
        self.reverse_sql = reverse_sql

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            for statement in self.sql:
                schema_editor.execute(statement)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            for statement in self.reverse_sql:
                schema_editor.execute(statement)

    def describe(self):
        return "PostgreSQL only: trigram index on quizzes_question.search_text"


class Migration(migrations.Migration):
    dependencies = [("quizzes", "0002_bank_review_note_indexes")]

    operations = [
        PostgresOnlySQL(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX IF NOT EXISTS question_search_trgm ON quizzes_question "
                "USING gin (search_text gin_trgm_ops)",
            ],
            reverse_sql=["DROP INDEX IF EXISTS question_search_trgm"],
        )
    ]
