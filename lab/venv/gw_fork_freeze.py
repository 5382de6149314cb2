# The lab's controller venv only (lab/bootstrap.sh installs it with a .pth
# file; it does nothing unless GW_FORK_FREEZE is 1, which lab/env.sh sets):
# Python's cyclic garbage collector kept off the objects that exist when
# Ansible forks a worker process for a task, in the worker and afterwards
# in the main process too.
#
# Why: ansible-playbook forks one worker per task and host. Both the worker
# (templating, running the task) and the main process (results, variables)
# allocate enough to start collections, and a collection of the oldest
# generation walks every object alive: the whole loaded Ansible, the
# inventory and every variable, which no task frees. gc.freeze() before
# each fork moves the objects alive then into a generation collections
# ignore. Reference counting still frees them as before; only a reference
# cycle that is already garbage at the time of a fork is kept until the
# process ends (a few MB over a whole site.yml run: the main process's
# peak RSS 74.5 -> 77.7 MB on the all-in-one lab). Freezing only for the
# fork (gc.unfreeze() right after it) saved a quarter as much: the main
# process's own collections are most of the cost.
# Measured on a no-op site.yml of the all-in-one lab (378 task results,
# 2026-12-07, bench/controller-cache.sh): see docs/benchmarks.md.
#
# It changes when Python looks for garbage, never what any task does; it
# is not part of the collection and no operator's controller has it unless
# they use the lab's venv with the variable set.
import os

_ENV = 'GW_FORK_FREEZE'
_TARGET = 'ansible.executor.process.worker'


def _patch(module):
    import gc

    worker = getattr(module, 'WorkerProcess', None)
    original = getattr(worker, 'start', None)
    if original is None or getattr(original, '_gw_fork_freeze', False):
        return

    def start(self, *args, **kwargs):
        gc.freeze()
        return original(self, *args, **kwargs)

    start._gw_fork_freeze = True
    worker.start = start


if os.environ.get(_ENV) == '1':
    try:
        from gw_import_hook import patch_after_import
    except ImportError:  # the helper is not installed beside this hook: no hook
        pass
    else:
        patch_after_import(_TARGET, _patch)
