#!/bin/sh
# Idempotent Prefect setup for a Lector studio: the work pools and the GPU concurrency limit.
# Needs PREFECT_API_URL; run by compose's one-shot `prefect-setup` service, or by hand:
#   PREFECT_API_URL=http://prefect:4200/api sh infra/prefect-setup.sh
set -eu
HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
POOLS="${LECTOR_WORK_POOLS_DIR:-$HERE/work-pools}"
SLOTS="${LECTOR_GPU_SLOTS:-1}"          # one slot per GPU the gpu workers share

prefect work-pool create cpu --type process --base-job-template "$POOLS/cpu.json" --overwrite
prefect work-pool create gpu --type process --base-job-template "$POOLS/gpu.json" --overwrite

# the synth task takes `concurrency("gpu")`: at most $SLOTS GPU syntheses at a time
if prefect gcl inspect gpu >/dev/null 2>&1; then
  prefect gcl update gpu --limit "$SLOTS"
else
  prefect gcl create gpu --limit "$SLOTS"
fi
echo "lector: work pools cpu, gpu and concurrency limit gpu=$SLOTS are set"
