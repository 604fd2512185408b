"""Shared test set-up: hypothesis profiles.

``dev`` (the default) keeps the edit-test loop quick; ``ci`` (chosen when the
CI environment variable is set, or with HYPOTHESIS_PROFILE=ci) runs more
examples and never depends on the wall clock.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
