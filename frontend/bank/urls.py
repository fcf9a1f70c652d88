"""Pages: the teacher's question bank (mounted at the site root by frontend/urls.py)."""

from __future__ import annotations

from django.urls import include, path

from frontend.bank import views

urlpatterns: list = [
    path("bank/", views.bank_list, name="bank"),
    path("bank/questions/new", views.question_editor, name="bank-question-new"),
    path("bank/questions/<int:pk>/edit", views.question_editor, name="bank-question-edit"),
    path("bank/review/", views.review_page, name="bank-review"),
    path("bank/quizzes/", views.quiz_list_page, name="bank-quizzes"),
    path("bank/quizzes/<int:pk>/", views.quiz_builder, name="bank-quiz"),
    path("bank/import/", include("frontend.bank.import_urls")),
]
