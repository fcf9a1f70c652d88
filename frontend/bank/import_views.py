"""The import wizard (upload -> preview -> confirm -> result) and the CSV/XLSX templates.

The page is a shell: every step is a call to POST /api/questions/import/ (dry run, then for real),
so the import rules live once, in quizzes/importers.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from frontend.bank.views import teacher_required
from quizzes.exporters import tabular
from quizzes.importers import FORMAT_NAMES, FORMATS
from quizzes.limits import editor_limits
from quizzes.permissions import can_review_question

# Example rows of the downloadable template: one per question type (docs/import-formats.md).
TEMPLATE_ROWS = [
    {
        "uid": "example-001",
        "type": "single",
        "theme": "sdg",
        "text": {
            "vi": "Mục tiêu Phát triển Bền vững số 4 nói về điều gì?",
            "en": "What is Sustainable Development Goal 4 about?",
        },
        "explanation": {"vi": "SDG 4: giáo dục có chất lượng.", "en": "SDG 4: quality education."},
        "source": "United Nations, 2015",
        "difficulty": 1,
        "tags": ["sdg4", "education"],
        "time_limit": 20,
        "points": 1,
        "choices": [
            {"text": {"vi": "Giáo dục có chất lượng", "en": "Quality education"}, "weight": 1.0,
             "feedback": {"vi": "Chính xác!", "en": "Right!"}},
            {"text": {"vi": "Xóa đói", "en": "Zero hunger"}, "weight": 0.0,
             "feedback": {"vi": "Đó là SDG 2.", "en": "That is SDG 2."}},
            {"text": {"vi": "Nước sạch", "en": "Clean water"}, "weight": 0.0,
             "feedback": {"vi": "Đó là SDG 6.", "en": "That is SDG 6."}},
        ],
        "status": "draft",
    },
    {
        "uid": "example-002",
        "type": "multi",
        "theme": "climate",
        "text": {"vi": "Những năng lượng nào là năng lượng tái tạo?",
                 "en": "Which energy sources are renewable?"},
        "explanation": {"vi": "", "en": ""},
        "source": "",
        "difficulty": 2,
        "tags": [],
        "time_limit": 30,
        "points": 1,
        "choices": [
            {"text": {"vi": "Mặt trời", "en": "Solar"}, "weight": 0.5},
            {"text": {"vi": "Gió", "en": "Wind"}, "weight": 0.5},
            {"text": {"vi": "Than đá", "en": "Coal"}, "weight": -1.0},
        ],
    },
    {
        "uid": "example-003",
        "type": "truefalse",
        "theme": "",
        "text": {"vi": "Hà Nội là thủ đô của Việt Nam.", "en": "Ha Noi is the capital of Viet Nam."},
        "explanation": {"vi": "", "en": ""},
        "source": "",
        "difficulty": 1,
        "tags": [],
        "time_limit": 15,
        "points": 1,
        "choices": [
            {"text": {"vi": "Đúng", "en": "True"}, "weight": 1.0},
            {"text": {"vi": "Sai", "en": "False"}, "weight": 0.0},
        ],
    },
    {
        "uid": "example-004",
        "type": "text",
        "theme": "",
        "text": {"vi": "Tên viết tắt của Tổ chức Giáo dục, Khoa học và Văn hóa Liên Hợp Quốc?",
                 "en": "The acronym of the UN Educational, Scientific and Cultural Organization?"},
        "explanation": {"vi": "", "en": ""},
        "source": "",
        "difficulty": 1,
        "tags": [],
        "time_limit": 30,
        "points": 1,
        "answer": {"accepted": ["UNESCO"], "ignore_case": True, "ignore_diacritics": True,
                   "ignore_spaces": True},
    },
    {
        "uid": "example-005",
        "type": "numeric",
        "theme": "",
        "text": {"vi": "Có bao nhiêu Mục tiêu Phát triển Bền vững?",
                 "en": "How many Sustainable Development Goals are there?"},
        "explanation": {"vi": "", "en": ""},
        "source": "",
        "difficulty": 1,
        "tags": [],
        "time_limit": 20,
        "points": 1,
        "answer": {"value": 17, "tolerance": 0},
    },
    {
        "uid": "example-006",
        "type": "order",
        "theme": "",
        "text": {"vi": "Sắp xếp theo thứ tự từ nhỏ đến lớn.", "en": "Order from smallest to largest."},
        "explanation": {"vi": "", "en": ""},
        "source": "",
        "difficulty": 2,
        "tags": [],
        "time_limit": 30,
        "points": 1,
        "choices": [
            {"text": {"vi": "Xã", "en": "Commune"}, "weight": 0.0},
            {"text": {"vi": "Huyện", "en": "District"}, "weight": 0.0},
            {"text": {"vi": "Tỉnh", "en": "Province"}, "weight": 0.0},
        ],
    },
]  # fmt: skip


@teacher_required
def import_wizard(request):
    """Upload a file, preview what it holds (with a per-line error report), then import it."""
    return render(
        request,
        "frontend_bank/import.html",
        {
            "formats": [(code, FORMAT_NAMES[code]) for code in FORMATS],
            "format_names": FORMAT_NAMES,
            "can_publish": can_review_question(request.user),
            "limits": editor_limits(),
        },
    )


@teacher_required
def template_csv(request):
    response = HttpResponse(
        tabular.render_csv(TEMPLATE_ROWS), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="citizenquiz-template.csv"'
    return response


@teacher_required
def template_xlsx(request):
    response = HttpResponse(
        tabular.render_xlsx(TEMPLATE_ROWS),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="citizenquiz-template.xlsx"'
    return response
