"""Search every output of the run for the password markers: each file must exist and hold
something (a search of nothing proves nothing), and no file may hold a marker."""

import glob
import os
import sys


def main(out, markers):
    wanted = ["run.log", "check.log", "inventory.log", "inventory-cached.log"]
    files = [os.path.join(out, name) for name in wanted]
    files += glob.glob(os.path.join(out, "cache", "*"))
    files += glob.glob(os.path.join(out, "sim", "*.log"))
    kinds = {"cache": [f for f in files if os.sep + "cache" + os.sep in f],
             "simulator log": [f for f in files if f.endswith(".log") and os.sep + "sim" + os.sep in f]}
    for kind, found in kinds.items():
        assert found, "no %s to search in %s" % (kind, out)
    # the files hold what was done: the logins, the power-on settings, the share, the failed join
    expected = {"run.log": [b"power_on_config", b"secret share", b"example.test"],
                kinds["simulator log"][0]: [b"POST /jsonrpc"]}  # every request, one line each
    for path, words in expected.items():
        with open(os.path.join(out, path), "rb") as handle:
            data = handle.read()
        missing = [word.decode() for word in words if word not in data]
        assert not missing, "%s lacks %s: the run did not do what is searched" % (path, missing)
    leaks = []
    for path in files:
        with open(path, "rb") as handle:
            data = handle.read()
        assert data, "%s is empty: nothing to search" % path
        leaks += ["%s holds marker %s" % (path, marker[:7]) for marker in markers if marker.encode() in data]
    assert not leaks, "\n".join(leaks)
    print("secrets: %d files, %d bytes searched for %d markers: none found"
          % (len(files), sum(os.path.getsize(f) for f in files), len(markers)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
