"""useparagon: a Python client for Paragon's SDK REST API."""

__all__: list[str] = []
