"""REST routes (mounted under /api/)."""

urlpatterns: list = []
