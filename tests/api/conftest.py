"""The tiny models of tests/infer, reused for the REST API tests."""

from tests.infer.conftest import FakeEncoder, caches, speechlike, tiny_models  # noqa: F401
