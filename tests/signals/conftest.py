from metrics.conftest import make_warehouse, module_warehouse, wh  # noqa: F401
