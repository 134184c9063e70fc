#!/bin/bash
# Submits the shards as a job array and the merge as a job that starts when all of them have
# succeeded. Usage: PACKAGES=/shared/2025/packages OUT=/shared/2025/reports ./submit.sh
set -euo pipefail
mkdir -p logs "$OUT"
jobid=$(sbatch --parsable --export=ALL,PACKAGES="$PACKAGES",OUT="$OUT" shards.sbatch)
sbatch --dependency=afterok:"$jobid" --export=ALL,OUT="$OUT" merge.sbatch
echo "shards: job array $jobid; merge queued after it"
