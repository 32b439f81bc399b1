"""What every step of this model shares: where the scenario is, and reading and writing its files.

A step runs as `python step.py '<launcher_arg as JSON>'` in the steps folder, on AWS (the SDK's Lambda
handler) and locally (`dotnet run`) alike. The scenario's files are under launcher_arg["training_folder"]:
inputs/... as published, and the outputs/ the step writes, which go back to the scenario in S3.
"""

import json
import os
import sys


def launcher_arg():
    return json.loads(sys.argv[1]) if len(sys.argv) > 1 else {"training_folder": ".", "params": {}}


def scenario_path(arg, *parts):
    return os.path.join(arg.get("training_folder", "."), *parts)


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    print(f"wrote {path}")


def parameter(arg, name, default):
    """A parameter from launcher_arg (what Quenedi sends), else from the scenario's params.json."""
    params = arg.get("params") or {}
    for category in params.values() if isinstance(params, dict) else []:
        if isinstance(category, dict) and name in category:
            return category[name]
    if name in params:
        return params[name]
    params_file = scenario_path(arg, "inputs", "params.json")
    if os.path.exists(params_file):
        for category in read_json(params_file):
            for item in category.get("params", []):
                if item.get("name") == name:
                    return item.get("value", default)
    return default
