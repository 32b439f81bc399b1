#!/usr/bin/env bash
# The benchmarks of issue 6, in one command: starts the local stack, builds the harness, runs every benchmark
# (median of 5 runs after a warm-up; peak memory from the OS), prints a table of figures and ratios, and exits
# non-zero when a target is missed. Usage: eng/bench.sh [links (default 1000000)] [runs (default 5)]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
bash "$root/eng/stack.sh" up > /dev/null
dotnet build "$root/bench/Quetzal.Bench/Quetzal.Bench.csproj" -c Release -nodeReuse:false -v:q > /dev/null
exec dotnet "$root/bench/Quetzal.Bench/bin/Release/net10.0/Quetzal.Bench.dll" run "$root" "$root/artifacts/bench" "${1:-1000000}" "${2:-5}"
