"""Agent entry point: ``python AGENT capture|probes [...]``; JSON on stdout."""
import sys


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    cmd = argv.pop(0) if argv else "capture"
    if cmd == "capture":
        from .collect import main as run
    elif cmd == "probes":
        from .probes import main as run
    else:
        sys.stderr.write("envsnap agent: unknown command %r\n" % cmd)
        return 2
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
