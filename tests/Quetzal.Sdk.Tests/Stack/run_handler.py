"""Calls Quetzal.Sdk's Lambda handler as the Lambda runtime would: handler(event, context).

argv: task_root event_json. The handler module is imported from task_root (where the image puts it).
Prints one line "QUETZAL-ANSWER:" + {"result": ...} or {"error": type, "message": ...} on stdout
(stderr, read separately, may interleave with it anywhere).
"""
import json
import sys
import traceback

task_root, event = sys.argv[1], json.loads(sys.argv[2])
sys.path.insert(0, task_root)
import quetzal_handler  # noqa: E402

try:
    print("QUETZAL-ANSWER:" + json.dumps({"result": quetzal_handler.handler(event, None)}))
except Exception as e:  # what Lambda reports as the function error
    traceback.print_exc()
    print("QUETZAL-ANSWER:" + json.dumps({"error": type(e).__name__, "message": str(e)}))
