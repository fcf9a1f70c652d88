"""The organiser API's input serializers: the API views and the organiser pages
(frontend/contests/forms.py) validate with these, so each limit and choice is written once."""

from __future__ import annotations

from rest_framework import serializers

from contest.models import Contest, Round
from core.strict import IdField, StrictTypes


class ContestSerializer(StrictTypes, serializers.Serializer):
    slug = serializers.SlugField(required=False, allow_blank=True)
    title_vi = serializers.CharField(max_length=250)
    title_en = serializers.CharField(max_length=250, required=False, allow_blank=True)
    description_vi = serializers.CharField(required=False, allow_blank=True)
    description_en = serializers.CharField(required=False, allow_blank=True)
    rules_vi = serializers.CharField(required=False, allow_blank=True)
    rules_en = serializers.CharField(required=False, allow_blank=True)
    is_published = serializers.BooleanField(required=False)
    unit_aggregation = serializers.ChoiceField(choices=Contest.Aggregation.choices, required=False)
    aggregation_top_n = serializers.IntegerField(min_value=1, max_value=1000, required=False)
    require_email_verification = serializers.BooleanField(required=False)
    require_captcha = serializers.BooleanField(required=False)


class StaffSerializer(StrictTypes, serializers.Serializer):
    username = serializers.CharField(max_length=150)


class RoundSerializer(StrictTypes, serializers.Serializer):
    refuse_unknown_fields = True
    title_vi = serializers.CharField(max_length=250)
    title_en = serializers.CharField(max_length=250, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=Round.Kind.choices, required=False)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    time_limit_seconds = serializers.IntegerField(min_value=10, max_value=86400, required=False)
    max_attempts = serializers.IntegerField(min_value=0, max_value=100, required=False)
    counting = serializers.ChoiceField(choices=Round.Counting.choices, required=False)
    quiz_id = serializers.IntegerField(required=False, allow_null=True)
    shuffle_options = serializers.BooleanField(required=False)
    shuffle_questions = serializers.BooleanField(required=False)
    weight = serializers.FloatField(min_value=0, max_value=100, required=False)
    prediction_text_vi = serializers.CharField(max_length=300, required=False, allow_blank=True)
    prediction_text_en = serializers.CharField(max_length=300, required=False, allow_blank=True)
    ranking_chain = serializers.ListField(child=serializers.CharField(), required=False)
    freeze_hours = serializers.IntegerField(min_value=0, max_value=168, required=False)
    scores_while_open = serializers.BooleanField(required=False)
    qualifier_top_n = serializers.IntegerField(min_value=0, required=False)
    live_game_id = serializers.CharField(max_length=64, required=False, allow_blank=True)


class CorrectionSerializer(StrictTypes, serializers.Serializer):
    question = IdField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    correct = serializers.ListField(child=serializers.CharField(), required=False)
    key = serializers.DictField(required=False)


class PrizeTierSerializer(StrictTypes, serializers.Serializer):
    name_vi = serializers.CharField(max_length=120)
    name_en = serializers.CharField(max_length=120, required=False, allow_blank=True)
    places = serializers.IntegerField(min_value=1, max_value=1000)


class CertificateSettingsSerializer(StrictTypes, serializers.Serializer):
    signer_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    signer_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    full_name = serializers.BooleanField(required=False)
    tiers = PrizeTierSerializer(many=True, required=False)
