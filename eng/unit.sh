#!/usr/bin/env bash
# The test command a developer runs every few minutes: the unit tests (tests/Quetzal.Sdk.Tests/Unit, and Corpus: the
# States Language corpus run against the interpreter and the build's check), which need no
# local stack, no Docker, no packed package and no network; well under a minute after the first build.
#   bash eng/unit.sh                      all of them
#   bash eng/unit.sh InterpreterTests     those whose name contains the word
# The whole suite (evaluation, stack, end to end) is eng/test.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
filter="(FullyQualifiedName~Quetzal.Sdk.Tests.Unit.|FullyQualifiedName~Quetzal.Sdk.Tests.Corpus.)"
[ $# -eq 0 ] || filter="$filter&FullyQualifiedName~$1"
dotnet build tests/Quetzal.Sdk.Tests/Quetzal.Sdk.Tests.csproj -c Release -nodeReuse:false -v:q -clp:NoSummary
dotnet test tests/Quetzal.Sdk.Tests/Quetzal.Sdk.Tests.csproj -c Release --no-build --filter "$filter"
