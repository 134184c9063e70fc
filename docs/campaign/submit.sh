#!/bin/bash
# Submits the shards as a job array and the merge as a job that starts when all of them have
# succeeded. Usage: PACKAGES=/shared/2025/packages OUT=/shared/2025/reports ./submit.sh [OPTION...]
# Options go to the shards' sbatch and override the script's #SBATCH lines, e.g. on a small test
# cluster: ./submit.sh --array=1-4 --cpus-per-task=1 --mem=2G
set -euo pipefail
mkdir -p logs "$OUT"
jobid=$(sbatch --parsable "$@" --export=ALL,PACKAGES="$PACKAGES",OUT="$OUT" shards.sbatch)
sbatch --dependency=afterok:"$jobid" --export=ALL,OUT="$OUT" merge.sbatch
echo "shards: job array $jobid; merge queued after it"
