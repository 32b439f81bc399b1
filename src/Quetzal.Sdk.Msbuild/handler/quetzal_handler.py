"""Quetzal.Sdk's runner of a quetzal model's steps, on Lambda (`handler`, one step per invocation) and on ECS
Fargate (`python3 -m quetzal_handler`, container mode: the steps its environment names; see run_container). Both
share the download, the step's run and the upload.

The event (what Quenedi and the state machine send):
    {"notebook_path": "steps/x.py" | "notebooks/x.ipynb",
     "scenario_path_S3": "<scenario>/",
     "launcher_arg": {"scenario": ..., "training_folder": "/tmp", "params": {...}},
     "metadata": {"user_email": ...}}

It downloads every object under the scenario prefix into the training folder, runs the step with
`launcher_arg` as one JSON argument in the step's folder, uploads what the step wrote back under the
same prefix with the step's log at `<scenario>/logs/<step>.txt`, and returns the event, which becomes the
next state's input. Success is the step's exit code, never a word in its output; output is streamed to
the log as it comes, never held whole in memory.

Shipped inside the Quetzal.Sdk package and versioned with it; models do not copy it.
"""

import collections
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

TASK_ROOT = os.environ.get("LAMBDA_TASK_ROOT", os.path.dirname(os.path.abspath(__file__)))
STDERR_TAIL_LINES = 40


class StepFailed(Exception):
    """A step exited with a non-zero code; the message carries the tail of its output."""


class _FolderBucket:
    """A folder standing in for the bucket in local runs (`dotnet run`): the same keys, as files."""

    def __init__(self, root):
        self.root = root

    def _path(self, key):
        path = os.path.normpath(os.path.join(self.root, *key.split("/")))
        if not path.startswith(os.path.normpath(self.root) + os.sep):
            raise ValueError(f"key {key!r} leaves the bucket folder")
        return path

    def get_paginator(self, _operation):
        return self

    def paginate(self, Bucket, Prefix):  # noqa: N803 (boto3's argument names)
        keys = []
        for root, _, names in os.walk(self.root):
            for name in names:
                key = os.path.relpath(os.path.join(root, name), self.root).replace(os.sep, "/")
                if key.startswith(Prefix):
                    keys.append({"Key": key})
        return [{"Contents": sorted(keys, key=lambda item: item["Key"])}]

    def download_file(self, _bucket, key, target):
        shutil.copyfile(self._path(key), target)

    def upload_file(self, source, _bucket, key, ExtraArgs=None):  # noqa: N803
        target = self._path(key)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)


def _s3():
    local = os.environ.get("QUETZAL_LOCAL_BUCKET_DIR")
    if local:
        return _FolderBucket(local)
    import boto3  # the Lambda Python base images ship boto3

    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    return boto3.client("s3", endpoint_url=endpoint) if endpoint else boto3.client("s3")


def _prefix(event):
    prefix = event["scenario_path_S3"]
    # Always the prefix with its slash: 'base' must never match 'base 1' or 'base copy'.
    return prefix if prefix.endswith("/") else prefix + "/"


def _empty(folder):
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.remove(path)
            except OSError:
                pass


def _digest(path):
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def _snapshot(folder):
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            stat = os.stat(path)
            files[os.path.relpath(path, folder).replace(os.sep, "/")] = (stat.st_size, stat.st_mtime_ns)
    return files


def download(s3, bucket, prefix, folder):
    """Downloads every object under the prefix, keeping relative paths; returns their keys."""
    keys = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            relative = item["Key"][len(prefix):]
            if not relative or relative.endswith("/"):
                continue
            target = os.path.normpath(os.path.join(folder, relative))
            if not target.startswith(os.path.normpath(folder) + os.sep):
                continue  # a key with '..' never escapes the training folder
            os.makedirs(os.path.dirname(target), exist_ok=True)
            s3.download_file(bucket, item["Key"], target)
            keys.append(relative)
    return keys


def upload_changes(s3, bucket, prefix, folder, before, metadata, keep=None):
    """Uploads the files the step created or changed (those `keep` accepts); returns their keys."""
    uploaded = []
    extra = _extra(metadata)
    for relative, state in sorted(_snapshot(folder).items()):
        if before.get(relative) == state or (keep is not None and not keep(relative)):
            continue
        s3.upload_file(os.path.join(folder, relative), bucket, prefix + relative, ExtraArgs=extra)
        uploaded.append(relative)
    return uploaded


def _step_environment():
    """The environment of a step's process: the handler's, with the task root (where `pip install --target` put the
    requirements and where the quetzal library is) on PYTHONPATH. Lambda's PYTHONPATH is its runtime folder only; the
    handler sees the task root because the runtime puts it on its own sys.path, which a child process does not inherit
    (the original template's Dockerfile set PYTHONPATH for this). A local run adds the library's checkout
    (QUETZAL_LIBRARY_DIR), which an image holds in its task root."""
    env = dict(os.environ)
    paths = [TASK_ROOT, os.environ.get("QUETZAL_LIBRARY_DIR"), env.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return env


def _command(notebook):
    """The command that runs the step, and the program text to send to its standard input (a notebook's).

    A notebook is converted by nbconvert to a script held in memory and run from standard input, in the notebook's
    folder: no file is written where the step's outputs are collected (the training folder, /tmp in Lambda, is
    uploaded), the task root stays read-only, and the notebook's folder is first on sys.path, as in Jupyter.
    """
    if not notebook.endswith(".ipynb"):
        return [sys.executable, notebook], None
    # `pip install --target $LAMBDA_TASK_ROOT` (the generated Dockerfile) puts nbconvert's templates in
    # $LAMBDA_TASK_ROOT/share/jupyter, where Jupyter does not look unless told.
    env = _step_environment()
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (os.path.join(TASK_ROOT, "share", "jupyter"), env.get("JUPYTER_PATH")) if p)
    converted = subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "script", "--stdout", notebook],
        cwd=os.path.dirname(notebook), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        encoding="utf-8", errors="replace",
    )
    if converted.returncode != 0:
        tail = "".join(collections.deque(converted.stderr.splitlines(keepends=True), maxlen=STDERR_TAIL_LINES))
        raise StepFailed(
            f"{os.path.basename(notebook)} could not be converted to a script (nbconvert exited with code "
            f"{converted.returncode}); notebooks need nbconvert: list it in requirements.txt (and install it in "
            f"the Python of local runs):\n{tail}")
    return [sys.executable, "-"], converted.stdout


class TimeLimitReached(StepFailed):
    """The run reached its time limit (TIME_LIMIT, container mode); the step was stopped."""


def run_step(notebook, launcher_arg, log_path, deadline=None):
    """Runs the step, streaming its output to stdout and to the log file; raises StepFailed on a non-zero exit, and
    TimeLimitReached (after stopping it) when it still runs at the deadline (a time.monotonic() value)."""
    tail = collections.deque(maxlen=STDERR_TAIL_LINES)
    stopped = threading.Event()
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with open(log_path, "w", encoding="utf-8") as log:
        try:
            command, program = _command(notebook)
        except StepFailed as failure:
            log.write(f"{failure}\n")  # the log is what a modeller reads first
            raise
        process = subprocess.Popen(
            command + [json.dumps(launcher_arg)], cwd=os.path.dirname(notebook), env=_step_environment(),
            stdin=subprocess.PIPE if program is not None else None,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace", bufsize=1,
        )
        timer = None
        if deadline is not None:
            def stop():
                stopped.set()
                process.kill()
            timer = threading.Timer(max(0.0, deadline - time.monotonic()), stop)
            timer.daemon = True
            timer.start()
        try:
            if program is not None:
                # Python reads its whole program before it runs a line of it: written at once, then closed.
                process.stdin.write(program)
                process.stdin.close()
            for line in process.stdout:  # read as it comes: a chatty step never fills a pipe
                sys.stdout.write(line)
                log.write(line)
                tail.append(line)
            code = process.wait()
        finally:
            if timer is not None:
                timer.cancel()
        if stopped.is_set():
            message = f"{os.path.basename(notebook)} was stopped: the run reached its time limit of {os.environ.get('TIME_LIMIT')} minutes (TIME_LIMIT; QuetzalEcsTimeLimit)"
            log.write("\n" + message + "\n")
            raise TimeLimitReached(message)
    if code != 0:
        raise StepFailed(f"{os.path.basename(notebook)} exited with code {code}:\n" + "".join(tail))


def handler(event, context=None):
    bucket = os.environ["BUCKET_NAME"]
    prefix = _prefix(event)
    launcher_arg = dict(event.get("launcher_arg") or {})
    # A local run names its own training folder: the handler empties it, and it must never be a machine's real /tmp.
    folder = os.environ.get("QUETZAL_LOCAL_TRAINING_DIR") or launcher_arg.get("training_folder") or "/tmp"
    launcher_arg["training_folder"] = folder
    notebook = os.path.join(TASK_ROOT, event["notebook_path"])
    step = os.path.splitext(os.path.basename(notebook))[0]
    s3 = _s3()

    _empty(folder)
    download(s3, bucket, prefix, folder)
    before = _snapshot(folder)
    log_path = os.path.join(folder, "logs", step + ".txt")
    started = time.time()
    try:
        run_step(notebook, launcher_arg, log_path)
    finally:
        # The log goes up whether the step failed or not: it is what a modeller reads first.
        if os.path.exists(log_path):
            s3.upload_file(log_path, bucket, prefix + "logs/" + step + ".txt")
    before[os.path.relpath(log_path, folder).replace(os.sep, "/")] = _snapshot(folder).get(
        os.path.relpath(log_path, folder).replace(os.sep, "/"))
    upload_changes(s3, bucket, prefix, folder, before, event.get("metadata"))
    print(f"{step} finished in {time.time() - started:.1f} s")
    return event


# ---- Container mode (ECS Fargate) -------------------------------------------------------------------------------
# The same image runs on Fargate with `python3 -m quetzal_handler` (the task definition's entry point). Today's
# backend starts a task with these environment overrides, and the SDK's state machines do the same for one step:
#   steps          JSON list of {"name", "path"}: the steps to run, in order
#   scenario_path  "<scenario>/"
#   launcher_arg   JSON: the steps' argument
#   variants       optional: the chosen variants (JSON list or comma-separated), when launcher_arg has none
#   metadata       optional JSON: the user_email (and others) every uploaded object carries
#   BUCKET_NAME, TIME_LIMIT (minutes), MODEL_TAG: from the task definition
# It writes <scenario>/status.json {step, error} before each step and on failure, each step's output to
# <scenario>/logs/<step>.txt, model_tag into info.json, and uploads what the steps wrote (not inputs/).


def _json_env(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return json.loads(value)
    except ValueError as error:
        raise StepFailed(f"the environment variable {name} is not JSON: {error}") from None


def _put_json(s3, bucket, key, body, metadata):
    handle, path = tempfile.mkstemp(suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(body, out)
        s3.upload_file(path, bucket, key, ExtraArgs=_extra(metadata))
    finally:
        os.remove(path)


def _extra(metadata):
    return {"Metadata": {k: str(v) for k, v in (metadata or {}).items() if isinstance(v, (str, int, float))}}


def _container_steps():
    steps = _json_env("steps", None)
    if not isinstance(steps, list) or not steps or not all(isinstance(s, dict) and s.get("path") for s in steps):
        raise StepFailed('the environment variable steps must be a JSON list of {"name": ..., "path": ...}')
    return [(s.get("name") or os.path.splitext(os.path.basename(s["path"]))[0], s["path"]) for s in steps]


def _set_model_tag(folder, tag):
    path = os.path.join(folder, "info.json")
    info = {}
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as handle:
                loaded = json.load(handle)
            info = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            info = {}
    info["model_tag"] = tag
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(info, handle)


def run_container():
    """Runs the steps the environment names on one scenario; returns the process's exit code."""
    started = time.monotonic()
    limit = float(os.environ.get("TIME_LIMIT") or 0)
    deadline = started + limit * 60 if limit > 0 else None
    bucket = os.environ["BUCKET_NAME"]
    s3 = _s3()
    prefix = _prefix({"scenario_path_S3": os.environ.get("scenario_path") or ""})
    metadata = {}
    step = None
    try:
        if prefix == "/":
            raise StepFailed("the environment variable scenario_path is empty: it names the scenario to run (<scenario>/)")
        metadata = _json_env("metadata", {}) or {}
        steps = _container_steps()
        launcher_arg = dict(_json_env("launcher_arg", {}) or {})
        variants = os.environ.get("variants")
        if variants and "variants" not in launcher_arg:
            try:
                launcher_arg["variants"] = json.loads(variants)
            except ValueError:
                launcher_arg["variants"] = [v.strip() for v in variants.split(",") if v.strip()]
        folder = os.environ.get("QUETZAL_LOCAL_TRAINING_DIR") or launcher_arg.get("training_folder") or "/tmp"
        launcher_arg["training_folder"] = folder
        _empty(folder)
        download(s3, bucket, prefix, folder)
        before = _snapshot(folder)
        if os.environ.get("MODEL_TAG"):
            _set_model_tag(folder, os.environ["MODEL_TAG"])
        for step, path in steps:
            _put_json(s3, bucket, prefix + "status.json", {"step": step, "error": None}, metadata)
            log_path = os.path.join(folder, "logs", step + ".txt")
            print(f"> {step} ({path})", flush=True)
            try:
                run_step(os.path.join(TASK_ROOT, path), launcher_arg, log_path, deadline)
            finally:
                if os.path.exists(log_path):
                    s3.upload_file(log_path, bucket, prefix + "logs/" + step + ".txt", ExtraArgs=_extra(metadata))
                    before["logs/" + step + ".txt"] = _snapshot(folder).get("logs/" + step + ".txt")
        # As today's backend: what the steps wrote goes up, the scenario's inputs stay as the app wrote them.
        upload_changes(s3, bucket, prefix, folder, before, metadata, keep=lambda key: not key.startswith("inputs/"))
        print(f"run finished in {time.monotonic() - started:.1f} s", flush=True)
        return 0
    except Exception as error:  # every failure is the run's: status.json says it, the exit code says it
        message = str(error) if isinstance(error, StepFailed) else f"{type(error).__name__}: {error}"
        # The step's output, its traceback included, was printed as it came: its first line says enough here.
        # status.json keeps the whole message (the app shows it).
        print(message.splitlines()[0] if isinstance(error, StepFailed) and message else message, file=sys.stderr, flush=True)
        try:
            _put_json(s3, bucket, prefix + "status.json", {"step": step, "error": message}, metadata)
        except Exception as status_error:  # noqa: BLE001 (the run's own error is the one to report)
            print(f"status.json could not be written: {status_error}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(run_container())
