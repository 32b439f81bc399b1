#!/usr/bin/env bash
# The main job, from a fresh clone: build Quetzal.Sdk and Quetzal.Templates from source, install the template,
# scaffold a model, build it (validation + Dockerfile) and run its workflow locally end to end (dotnet run, with
# the machine's Python 3). Usage: eng/main.sh [work-folder]
# The packages get a fresh -dev version each run, so NuGet's cache never serves a stale SDK.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$root/artifacts/demo}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1

if ! command -v dotnet >/dev/null 2>&1; then
  echo "eng/main.sh: the .NET SDK 10 is needed (https://dot.net); it is not on PATH." >&2
  exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "==> Installing Python 3 (the local run executes the model's steps with it)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 >/dev/null
fi

version="0.1.0-dev.$(date -u +%Y%m%d%H%M%S)"
feed="$root/artifacts/packages"
rm -rf "$feed" "$work"
mkdir -p "$feed" "$work"

echo "==> Packing Quetzal.Sdk and Quetzal.Templates $version into $feed"
dotnet pack "$root/Quetzal.Sdk.slnx" -c Release -o "$feed" -p:Version="$version" -nodeReuse:false -m:1

cat > "$work/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="quetzal-local" value="$feed" />
  </packageSources>
</configuration>
CONFIG

echo "==> Installing the template (private hive: your own dotnet new list is left alone)"
dotnet new install "$feed/Quetzal.Templates.$version.nupkg" --debug:custom-hive "$work/.templates"

echo "==> dotnet new quetzal-model -n quetzal-demo"
(cd "$work" && dotnet new quetzal-model -n quetzal-demo --debug:custom-hive "$work/.templates")

echo "==> dotnet build (validates the model, generates Dockerfile and .dockerignore)"
(cd "$work/quetzal-demo" && dotnet build -nodeReuse:false)

echo "==> dotnet run (runs the workflow locally on scenario base, as Step Functions would on AWS)"
(cd "$work/quetzal-demo" && dotnet run)

echo
echo "The model is in $work/quetzal-demo; its outputs are in $work/quetzal-demo/bin/quetzal-run/bucket/base/outputs."
