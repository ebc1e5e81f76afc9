"""The feed tests use the read API's designed archive and the search tests' indexed articles."""

from api.conftest import archive  # noqa: F401  (a fixture, shared)
from search.conftest import index  # noqa: F401  (a fixture, shared)
