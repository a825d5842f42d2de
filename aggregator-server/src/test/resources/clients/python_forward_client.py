"""A forward-protocol client for tests: sends events with Debian's python3-fluent-logger.

    /usr/bin/python3 python_forward_client.py CONFIG.json

CONFIG: {"host", "port", "tagPrefix", "nanosecondPrecision", "events": [{"label", "record", "time"}]}
Prints {"sent": N} and exits 0, or {"error": "..."} and exits 1.
"""
import json
import sys

from fluent import sender

config = json.load(open(sys.argv[1]))
client = sender.FluentSender(config["tagPrefix"], host=config["host"], port=config["port"],
                             nanosecond_precision=config.get("nanosecondPrecision", False), timeout=10)
for event in config["events"]:
    if event.get("time") is None:
        ok = client.emit(event["label"], event["record"])
    else:
        ok = client.emit_with_time(event["label"], event["time"], event["record"])
    if not ok:
        print(json.dumps({"error": repr(client.last_error)}))
        sys.exit(1)
client.close()
print(json.dumps({"sent": len(config["events"])}))
