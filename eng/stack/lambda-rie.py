"""A stand-in for the Lambda runtime interface emulator of the public.ecr.aws/lambda base images (which cannot be
pulled here): it serves POST /2015-03-31/functions/function/invocations on port 8080 and calls the handler named
by the image's CMD ("module.function") from LAMBDA_TASK_ROOT, answering like the emulator: the handler's result,
or {"errorMessage", "errorType", "stackTrace"} when it raises. For tests only: the real images carry the real one.
"""
import http.server
import importlib
import json
import os
import sys
import traceback

module_name, function_name = sys.argv[1].rsplit(".", 1)
sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", "/var/task"))
handler = getattr(importlib.import_module(module_name), function_name)


class Invocations(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        if self.path != "/2015-03-31/functions/function/invocations":
            self.send_error(404)
            return
        event = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
        try:
            body = json.dumps(handler(event, None))
        except Exception as e:  # noqa: BLE001 - every failure is the function's error
            body = json.dumps({"errorMessage": str(e), "errorType": type(e).__name__,
                               "stackTrace": traceback.format_exception(type(e), e, e.__traceback__)})
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        sys.stdout.flush()

    def log_message(self, *args):
        pass


print("quetzal-test RIE listening on 8080", flush=True)
http.server.ThreadingHTTPServer(("0.0.0.0", 8080), Invocations).serve_forever()
