"""The published contract agrees with the server: schemathesis, in-process, all checks, stateful too.

Configuration encodes what the contract itself documents: a schema-valid create can still be
refused with 400/402/410 for model-specific constraints the JSON Schema cannot express (sizes and
durations per model, §5.2), and a schema-valid Range can be unsatisfiable (416). Security headers are
not fuzzed: a valid Bearer token always wins over a generated `x-api-key` (§1.1), which schemathesis
would otherwise read as ignored authentication.
"""

from __future__ import annotations

import schemathesis
from conftest import KEY
from conftest import test_config as config_for_tests
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from vidmock.media import MediaCache
from vidmock.server import build_app

CONFIG = SchemathesisConfig.from_dict(
    {
        "auth": {"openapi": {"bearerAuth": {"bearer": KEY}}},
        "generation": {
            "mode": "all",
            "max-examples": 100,
            "with-security-parameters": False,
            "deterministic": True,
        },  # CI sees the same cases every run
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]}
        },
        "operations": [
            {
                "include-operation-id": "v1_videos_create",
                "checks": {"positive_data_acceptance": {"expected-statuses": ["200", "400", "402", "410"]}},
            },
            {
                "include-operation-id": "v1_videos_content",
                "checks": {"positive_data_acceptance": {"expected-statuses": ["200", "206", "404", "409", "416"]}},
            },
            {
                "include-operation-id": "v1_videos_log_content",
                "checks": {"positive_data_acceptance": {"expected-statuses": ["200", "206", "401", "404", "416"]}},
            },
        ],
    }
)

app = build_app(config_for_tests(), media=MediaCache(None))
schema = schemathesis.openapi.from_asgi("/openapi.yaml", app, config=CONFIG)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_api(case: schemathesis.Case) -> None:
    case.call_and_validate()


Stateful = schema.as_state_machine()
Stateful.TestCase.settings = settings(
    max_examples=50, deadline=None, stateful_step_count=6, derandomize=True, suppress_health_check=list(HealthCheck)
)
TestStateful = Stateful.TestCase
