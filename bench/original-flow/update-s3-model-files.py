"""update-s3-model-files.py <model folder> <bucket> <scenario>...: replaces each scenario's files in the bucket."""
import os, sys
import boto3

folder, bucket, scenarios = sys.argv[1], sys.argv[2], sys.argv[3:]
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"])
for scenario in scenarios:
    # As the original: every key starting with the scenario's name (its bug: 'base' also takes 'base 1').
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=scenario):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
    root = os.path.join(folder, "scenarios", scenario)
    for directory, _, files in os.walk(root):
        for file in files:
            path = os.path.join(directory, file)
            key = scenario + "/" + os.path.relpath(path, root).replace(os.sep, "/")
            s3.upload_file(path, bucket, key, ExtraArgs={"Metadata": {"user_email": "bench@example.org"}})
print("Done!")
