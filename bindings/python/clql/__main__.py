"""python -m clql: the device report of clql-probe --json, with the same keys.

Usage: python -m clql [--json] [-d SELECTOR]... [--profile FILE[:ID]]
Exit codes as clql-probe's: 0 ok, 2 bad arguments or profile file, 6 no such
device or record, 9 no OpenCL platform, 255 internal error.
"""

import argparse
import json
import os
import sys

import clql


def exit_code(e):
    codes = {
        "CLQL_ERR_BAD_SELECTOR": 2, "CLQL_ERR_INVALID_CONFIG": 2, "CLQL_ERR_IO": 2,
        "CLQL_ERR_PARSE": 2, "CLQL_ERR_NO_DEVICE": 6, "CLQL_ERR_NOT_FOUND": 6,
        "CLQL_ERR_NO_PLATFORM": 9, "CL_PLATFORM_NOT_FOUND_KHR": 9,
    }
    return codes.get(e.name, 255)


def split_profile(arg):
    """FILE[:ID]: a path that exists as given is the whole file."""
    if os.path.exists(arg) or ":" not in arg:
        return arg, None
    path, _, record = arg.rpartition(":")
    return path, record or None


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m clql", description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true", help="JSON (the only output; accepted for clql-probe's sake)")
    p.add_argument("-d", "--device", action="append", default=[], help="device selector (repeatable)")
    p.add_argument("--profile", help="recorded devices: FILE[:ID]")
    a = p.parse_args(argv)
    if a.profile and a.device:
        p.error("--device and --profile exclude each other")
    try:
        if a.profile:
            devs = clql.profile_devices(*split_profile(a.profile))
        else:
            devs = clql.devices()
            if not devs:
                print("python -m clql: no OpenCL device on any platform", file=sys.stderr)
                return 9
            if a.device:
                devs = [d for sel in a.device for d in clql.select_devices(sel)]
    except clql.Error as e:
        print("python -m clql: %s: %s" % (e.message, e.detail), file=sys.stderr)
        return exit_code(e)
    report = {"schema": 1, "clql_version": clql.version_string(),
              "devices": [d.to_json() for d in devs]}
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
