"""The REST gateway (FastAPI), OCPPLAB Gateway API compatible. See API.md."""
