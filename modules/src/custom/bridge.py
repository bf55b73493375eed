# Runs misp-modules custom modules (upstream-style Python files) for the Rust server.
#
# Two modes:
#   describe PATH...  one JSON line per module: its introspection, version and handler kind
#   serve             answers one JSON request line at a time on stdin
# Protocol lines go to the original stdout; anything a module prints goes to stderr so it
# cannot corrupt the protocol.
import importlib.util
import json
import os
import sys
import traceback

_protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr

_loaded = {}


def _send(message):
    _protocol.write(json.dumps(message, ensure_ascii=False, default=_to_json) + "\n")
    _protocol.flush()


def _to_json(value):
    # pymisp objects (MISPObject, MISPEvent, ...) know how to turn into plain data.
    for method in ("to_dict", "to_json"):
        convert = getattr(value, method, None)
        if callable(convert):
            data = convert()
            return json.loads(data) if isinstance(data, str) else data
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError("result of type %s is not JSON serialisable" % type(value).__name__)


def _load(path):
    module = _loaded.get(path)
    if module is None:
        name = os.path.splitext(os.path.basename(path))[0]
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in sys.path:
            sys.path.append(folder)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        _loaded[path] = module
    return module


def _error_text(error):
    return "%s: %s" % (type(error).__name__, error)


def describe(paths):
    for path in paths:
        try:
            module = _load(path)
            has_dict = callable(getattr(module, "dict_handler", None))
            if not has_dict and not callable(getattr(module, "handler", None)):
                raise AttributeError("module has neither handler() nor dict_handler()")
            _send({"path": path, "ok": {
                "introspection": module.introspection(),
                "version": module.version(),
                "dict_handler": has_dict,
            }})
        except BaseException as error:  # a broken module must not stop the others
            _send({"path": path, "error": _error_text(error)})


def serve():
    for line in sys.stdin:
        try:
            request = json.loads(line)
            module = _load(request["path"])
            if request["dict_handler"]:
                result = module.dict_handler(request=json.loads(request["body"]))
            else:
                result = module.handler(q=request["body"].encode("utf-8"))
            _send({"ok": result})
        except BaseException as error:
            # The traceback goes back to the server, which strips config values (API keys)
            # from it before logging; printed here it would reach the log unredacted.
            try:
                _send({"error": _error_text(error) + "\n" + traceback.format_exc()})
            except BaseException:
                _send({"error": "could not serialise the module's answer"})


if __name__ == "__main__":
    if sys.argv[1:2] == ["describe"]:
        describe(sys.argv[2:])
    else:
        serve()
