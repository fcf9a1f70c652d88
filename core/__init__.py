"""The layer below every app: no models, no imports from quizzes, contest, realtime or frontend.

Errors and their one body, strict JSON input types, roles, text folding, rate limits, metrics,
logs, health checks and the HTTP middleware live here; config/ only wires them (settings, urls,
asgi). See docs/architecture.md.
"""
