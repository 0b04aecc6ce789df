"""The editors' review app. Importing it turns telemetry off for the app's process (an editor's
machine reports nothing anywhere; a value the user set is kept)."""

import os

QUIET_ENV = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}
for _name, _value in QUIET_ENV.items():
    os.environ.setdefault(_name, _value)
