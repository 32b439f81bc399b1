"""update-function-config.py <model folder> <name> <function arn>: pushes step-functions.json to the state machine."""
import json, os, sys
import boto3

folder, name, function_arn = sys.argv[1:4]
client = boto3.client("stepfunctions", endpoint_url=os.environ["AWS_ENDPOINT_URL_SFN"])
with open(os.path.join(folder, "step-functions.json")) as f:
    definition = f.read().replace("${LambdaFunctionArn}", function_arn)
json.loads(definition)
# The original read the first page only (up to 100 machines on AWS); the stand-in pages at a few, so: every page.
machines = [m for page in client.get_paginator("list_state_machines").paginate() for m in page["stateMachines"]]
arn = next(m["stateMachineArn"] for m in machines if m["name"] == name)
client.update_state_machine(stateMachineArn=arn, definition=definition)
print("Done!")
