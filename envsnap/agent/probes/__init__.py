"""Float-precision probes that run inside the target interpreter (stdlib + the probed frameworks).

``python AGENT probes [--budget S] [--ids a,b]``; see worker.py for the line protocol and
catalogue.py for the ids. This package must stay importable without numpy/torch: every probe
module imports its framework inside the probe function.
"""


def main(argv):
    from .worker import main as run

    return run(argv)
