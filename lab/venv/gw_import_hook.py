# Shared by the lab venv's hooks (gw_ansiballz_cache.py, gw_fork_freeze.py),
# installed beside them by lab/bootstrap.sh (no .pth of its own): run a
# function on a module right after Python first imports it, without
# importing anything of Ansible before Ansible does.
import sys


def patch_after_import(target, patch):
    """Call ``patch(module)`` once module ``target`` has been executed on its first import.

    Does nothing if ``target`` is imported already. An exception in ``patch`` is swallowed: the hook
    is an optimisation, and the module then stays as Ansible wrote it.
    """
    if target in sys.modules:
        return

    class _Finder:
        @staticmethod
        def find_spec(name, path=None, target_module=None):  # pylint: disable=unused-argument
            if name != target:
                return None
            sys.meta_path.remove(_Finder)
            import importlib.util
            spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None or not hasattr(spec.loader, 'exec_module'):
                return spec
            exec_module = spec.loader.exec_module

            def patched(module):
                exec_module(module)
                try:
                    patch(module)
                except Exception:  # pylint: disable=broad-except
                    pass

            spec.loader.exec_module = patched
            return spec

    sys.meta_path.insert(0, _Finder)
