"""Drives the local control plane with the official AWS SDK for Python through every operation Quetzal.Sdk calls.

Prints one JSON object of findings; the xunit test that runs it asserts on them. Any botocore parsing or
signing disagreement raises here, which is the point: boto3 is the reference for the wire protocols.
"""
import json
import os
import sys
import time
import uuid

import boto3
import botocore.exceptions

endpoint = sys.argv[1]
suffix = uuid.uuid4().hex[:8]
session = boto3.session.Session(region_name="ca-central-1")
ecr = session.client("ecr", endpoint_url=endpoint)
lam = session.client("lambda", endpoint_url=endpoint)
sfn = session.client("stepfunctions", endpoint_url=endpoint)
ecs = session.client("ecs", endpoint_url=endpoint)
out = {}


def error_code(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None


# ECR
repository = f"boto3-{suffix}"
out["missing_repository"] = error_code(lambda: ecr.describe_repositories(repositoryNames=[repository]))
ecr.create_repository(repositoryName=repository)
described = ecr.describe_repositories(repositoryNames=[repository])["repositories"][0]
out["repository_uri"] = described["repositoryUri"]
out["registry_id"] = described["registryId"]
auth = ecr.get_authorization_token()["authorizationData"][0]
out["token_user"] = __import__("base64").b64decode(auth["authorizationToken"]).decode().split(":")[0]
out["token_expires_is_datetime"] = hasattr(auth["expiresAt"], "year")
out["proxy_endpoint"] = auth["proxyEndpoint"]

# Step Functions: create several, page through them, describe, update
names = [f"boto3-{suffix}-{i}" for i in range(5)]
definition = json.dumps({"StartAt": "a", "States": {"a": {"Type": "Succeed"}}})
arns = [sfn.create_state_machine(name=n, definition=definition, roleArn="arn:aws:iam::123456789012:role/x")["stateMachineArn"] for n in names]
out["already_exists"] = error_code(lambda: sfn.create_state_machine(name=names[0], definition=definition, roleArn="r"))
out["invalid_definition"] = error_code(lambda: sfn.create_state_machine(name=f"bad-{suffix}", definition="{", roleArn="r"))
listed, pages = [], 0
for page in sfn.get_paginator("list_state_machines").paginate():
    pages += 1
    listed += [m["name"] for m in page["stateMachines"]]
out["listed_all_created"] = all(n in listed for n in names)
out["list_pages"] = pages
sfn.update_state_machine(stateMachineArn=arns[0], definition=json.dumps({"StartAt": "b", "States": {"b": {"Type": "Succeed"}}}))
machine = sfn.describe_state_machine(stateMachineArn=arns[0])
out["updated_definition_start"] = json.loads(machine["definition"])["StartAt"]
out["creation_date_is_datetime"] = hasattr(machine["creationDate"], "year")
out["missing_machine"] = error_code(lambda: sfn.describe_state_machine(stateMachineArn=arns[0] + "-nope"))

# Lambda: needs an image in the registry; the test pushes one and passes its URI.
image = sys.argv[2]
function = f"boto3-{suffix}"
out["missing_function"] = error_code(lambda: lam.get_function(FunctionName=function))
created = lam.create_function(FunctionName=function, Role="arn:aws:iam::123456789012:role/lambda-x-role", PackageType="Image",
                              Code={"ImageUri": image}, MemorySize=1024, Timeout=60, EphemeralStorage={"Size": 2048},
                              Environment={"Variables": {"BUCKET_NAME": "b"}}, Architectures=["x86_64"])
out["created_state"] = created["State"]
lam.get_waiter("function_active_v2").wait(FunctionName=function, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
out["busy_update"] = None
lam.update_function_configuration(FunctionName=function, MemorySize=2048, Timeout=120, EphemeralStorage={"Size": 4096})
out["busy_update"] = error_code(lambda: lam.update_function_configuration(FunctionName=function, MemorySize=4096))
lam.get_waiter("function_updated_v2").wait(FunctionName=function, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
lam.update_function_code(FunctionName=function, ImageUri=image)
lam.get_waiter("function_updated_v2").wait(FunctionName=function, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
got = lam.get_function(FunctionName=function)
configuration = lam.get_function_configuration(FunctionName=function)
out["memory"] = configuration["MemorySize"]
out["timeout"] = configuration["Timeout"]
out["storage"] = configuration["EphemeralStorage"]["Size"]
out["environment"] = configuration["Environment"]["Variables"]
out["image_uri"] = got["Code"]["ImageUri"]
out["resolved_image_uri"] = got["Code"]["ResolvedImageUri"]
# The read-back commands of the docs: aws lambda list-functions, aws ecr describe-images.
out["listed_functions"] = [f["FunctionName"] for p in lam.get_paginator("list_functions").paginate() for f in p["Functions"]]
out["function_name"] = function
out["last_update_status"] = configuration["LastUpdateStatus"]
bad = lam.update_function_code(FunctionName=function, ImageUri=image.rsplit(":", 1)[0] + ":no-such-tag")
out["bad_image_status"] = lam.get_function_configuration(FunctionName=function)["LastUpdateStatus"]
out["bad_image_reason"] = lam.get_function_configuration(FunctionName=function).get("LastUpdateStatusReason", "")

# Teardown operations: list and delete the repository's images, delete the function.
image_repository = image.split("/", 1)[1].split(":")[0]
ecr.create_repository(repositoryName=image_repository)  # what Terraform creates before anything is pushed
images = ecr.list_images(repositoryName=image_repository)["imageIds"]
details = ecr.describe_images(repositoryName=image_repository)["imageDetails"]
out["described_tags"] = sorted(t for d in details for t in d.get("imageTags", []))
out["described_digest_matches"] = any(got["Code"]["ResolvedImageUri"].endswith(d["imageDigest"]) for d in details)
out["missing_image"] = error_code(lambda: ecr.describe_images(repositoryName=image_repository, imageIds=[{"imageTag": "no-such-tag"}]))
out["listed_image_tags"] = sorted(i.get("imageTag", "") for i in images)
lam.delete_function(FunctionName=function)
out["deleted_function"] = error_code(lambda: lam.get_function(FunctionName=function))

# ECS: the task definition operations a publish and a teardown call, as boto3 sends and parses them.
family = f"boto3-{suffix}-task"
out["missing_task_definition"] = error_code(lambda: ecs.describe_task_definition(taskDefinition=family))
task = dict(family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="1024", memory="4096",
            executionRoleArn="arn:aws:iam::123456789012:role/ecs-x-execution-role", taskRoleArn="arn:aws:iam::123456789012:role/ecs-x-task-role",
            ephemeralStorage={"sizeInGiB": 30}, runtimePlatform={"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
            containerDefinitions=[{"name": "x", "image": image, "essential": True, "entryPoint": ["python3", "-m", "quetzal_handler"],
                                   "environment": [{"name": "BUCKET_NAME", "value": "b"}],
                                   "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/aws/ecs/x", "awslogs-region": "ca-central-1", "awslogs-stream-prefix": "x"}}}])
first = ecs.register_task_definition(**task)["taskDefinition"]
second = ecs.register_task_definition(**{**task, "memory": "8192"})["taskDefinition"]
third = ecs.register_task_definition(**{**task, "cpu": "2048", "memory": "8192"})["taskDefinition"]
out["revisions"] = [first["revision"], second["revision"], third["revision"]]
out["registered_at_is_datetime"] = hasattr(first["registeredAt"], "year")
latest = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
out["latest_revision"] = latest["revision"]
out["latest_memory"] = latest["memory"]
out["latest_storage"] = latest["ephemeralStorage"]["sizeInGiB"]
out["latest_image"] = latest["containerDefinitions"][0]["image"]
out["bad_pair"] = error_code(lambda: ecs.register_task_definition(**{**task, "cpu": "256", "memory": "4096"}))
out["bad_storage"] = error_code(lambda: ecs.register_task_definition(**{**task, "ephemeralStorage": {"sizeInGiB": 10}}))
listed_revisions = []
for page in ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family, status="ACTIVE"):
    listed_revisions += page["taskDefinitionArns"]
out["listed_revisions"] = len(listed_revisions)
ecs.deregister_task_definition(taskDefinition=third["taskDefinitionArn"])
out["latest_after_deregister"] = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]["revision"]
out["deregistered_status"] = ecs.describe_task_definition(taskDefinition=third["taskDefinitionArn"])["taskDefinition"]["status"]
out["inactive_listed"] = len(ecs.list_task_definitions(familyPrefix=family, status="INACTIVE")["taskDefinitionArns"])

# Step Functions executions: start, poll, read the history page by page, list, stop.
flow = json.dumps({"StartAt": "pick", "States": {
    "pick": {"Type": "Choice", "Choices": [{"Variable": "$.wait", "NumericGreaterThan": 0, "Next": "hold"}], "Default": "shape"},
    "hold": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "shape"},
    "shape": {"Type": "Pass", "Parameters": {"scenario.$": "$.scenario", "done": True}, "End": True}}})
flow_arn = sfn.create_state_machine(name=f"boto3-{suffix}-flow", definition=flow, roleArn="arn:aws:iam::123456789012:role/x")["stateMachineArn"]
started = sfn.start_execution(stateMachineArn=flow_arn, name=f"base-{suffix}", input=json.dumps({"scenario": "base", "wait": 0}))
out["start_date_is_datetime"] = hasattr(started["startDate"], "year")
out["execution_arn"] = started["executionArn"]
for _ in range(100):
    described = sfn.describe_execution(executionArn=started["executionArn"])
    if described["status"] != "RUNNING":
        break
    time.sleep(0.1)
out["execution_status"] = described["status"]
out["execution_output"] = json.loads(described["output"])
events = []
for page in sfn.get_paginator("get_execution_history").paginate(executionArn=started["executionArn"], PaginationConfig={"PageSize": 2}):
    events += page["events"]
out["history_types"] = [e["type"] for e in events]
out["history_ids"] = [e["id"] for e in events]
out["entered_names"] = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
out["timestamps_are_datetimes"] = all(hasattr(e["timestamp"], "year") for e in events)
out["same_name_again"] = error_code(lambda: sfn.start_execution(stateMachineArn=flow_arn, name=f"base-{suffix}", input="{\"other\": 1}"))
out["bad_name"] = error_code(lambda: sfn.start_execution(stateMachineArn=flow_arn, name="has space", input="{}"))
waiting = sfn.start_execution(stateMachineArn=flow_arn, name=f"wait-{suffix}", input=json.dumps({"scenario": "b", "wait": 60}))
out["running_listed"] = [e["name"] for e in sfn.list_executions(stateMachineArn=flow_arn, statusFilter="RUNNING")["executions"]]
sfn.stop_execution(executionArn=waiting["executionArn"], error="User", cause="stopped by the test")
stopped = sfn.describe_execution(executionArn=waiting["executionArn"])
out["stopped_status"] = stopped["status"]
out["stopped_last_event"] = sfn.get_execution_history(executionArn=waiting["executionArn"], reverseOrder=True, maxResults=1)["events"][0]["type"]
out["missing_execution"] = error_code(lambda: sfn.describe_execution(executionArn=started["executionArn"] + "-nope"))

# A wrong secret is refused.
wrong = boto3.session.Session(region_name="ca-central-1", aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key="wrong").client("ecr", endpoint_url=endpoint)
out["wrong_secret"] = error_code(lambda: wrong.get_authorization_token())
print("QUETZAL-ANSWER:" + json.dumps(out))
