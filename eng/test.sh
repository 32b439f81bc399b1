#!/usr/bin/env bash
# Runs the whole test suite from a fresh clone: starts the local stack (eng/stack.sh up: installs and starts dockerd,
# the registry, s3rver and the control plane), then restore, build, test (unit, evaluation against the real targets,
# stack, end to end from freshly packed packages). Needs the .NET SDK 10 (global.json) and root for apt-get.
# Ends with a plain "N passed, N failed, N skipped" line.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1

if ! command -v dotnet >/dev/null 2>&1; then
  echo "eng/test.sh: the .NET SDK 10 is needed (https://dot.net); it is not on PATH." >&2
  exit 1
fi

# The stack's variables are for the tests' child processes; the test host reads them itself.
bash eng/stack.sh up > /dev/null

dotnet restore Quetzal.Sdk.slnx
dotnet build Quetzal.Sdk.slnx -c Release --no-restore -nodeReuse:false -m:1

log=$(mktemp)
set +e
dotnet test tests/Quetzal.Sdk.Tests/Quetzal.Sdk.Tests.csproj -c Release --no-build 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# dotnet test's own summary ("Passed!  - Failed: 0, Passed: 178, Skipped: 0, Total: 178") as a plain closing line.
summary=$(grep -E '(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+, +Skipped: +[0-9]+' "$log" | tail -n 1 || true)
rm -f "$log"
if [ -z "$summary" ]; then
  echo "eng/test.sh: no test summary found (exit code $status)" >&2
  exit $(( status == 0 ? 1 : status ))
fi
failed=$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$summary")
passed=$(sed -E 's/.*Passed: +([0-9]+),.*/\1/' <<<"$summary")
skipped=$(sed -E 's/.*Skipped: +([0-9]+),.*/\1/' <<<"$summary")
if [ "${CI:-}" = "true" ] && [ "$skipped" != "0" ]; then
  echo "eng/test.sh: $skipped tests skipped; in CI nothing may pass by skipping." >&2
  status=1
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
