"""BLAS/OpenMP libraries actually loaded (threadpoolctl) and the numerics-relevant settings."""
import os

from .vocab import NUMERICS_ENV_VARS


def _threadpoolctl():
    try:
        import threadpoolctl  # the target's own
        return threadpoolctl
    except Exception:  # noqa: BLE001
        from ._vendor import threadpoolctl  # bundled by envsnap.agent_runtime
        return threadpoolctl


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def blas():
    loaded = []
    numpy_config = None
    try:
        import numpy
        loaded.append("numpy")
        try:
            numpy_config = _jsonable(numpy.show_config(mode="dicts"))  # numpy >= 1.25
        except TypeError:
            cfg = {}
            for key in ("blas_opt_info", "lapack_opt_info", "blas_ilp64_opt_info"):
                val = getattr(numpy.__config__, key, None)
                if val is not None:
                    cfg[key] = _jsonable(val)
            numpy_config = cfg or None
        except Exception as exc:  # noqa: BLE001
            numpy_config = {"error": str(exc)}
        if isinstance(numpy_config, dict):
            numpy_config.pop("Python Information", None)  # duplicated in the python section
    except ImportError:
        pass
    try:
        tpc = _threadpoolctl()
        info = tpc.threadpool_info()
    except Exception as exc:  # noqa: BLE001
        return {"status": "error", "reason": "threadpoolctl: %s" % exc, "loaded_with": loaded,
                "numpy_config": numpy_config}
    libs = []
    for lib in info:
        libs.append({
            "user_api": lib.get("user_api"), "internal_api": lib.get("internal_api"),
            "prefix": lib.get("prefix"), "filepath": lib.get("filepath"), "version": lib.get("version"),
            "num_threads": lib.get("num_threads"), "threading_layer": lib.get("threading_layer"),
            "architecture": lib.get("architecture"),
        })
    libs.sort(key=lambda lib: (lib["user_api"] or "", lib["internal_api"] or "", lib["filepath"] or ""))
    out = {"libraries": libs, "numpy_config": numpy_config, "loaded_with": loaded}
    if not loaded:
        out.update({"status": "skipped", "reason": "numpy is not installed: no BLAS loaded to inspect"})
    return out


def numerics_env():
    return {k: os.environ[k] for k in sorted(NUMERICS_ENV_VARS) if k in os.environ}
