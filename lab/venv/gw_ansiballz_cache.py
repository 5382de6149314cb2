# The lab's controller venv only (lab/bootstrap.sh installs it with a .pth
# file; it does nothing unless GW_ANSIBALLZ_CACHE names a directory, which
# lab/env.sh sets): Ansible's module payloads (AnsiballZ) kept from one
# ansible-playbook run to the next.
#
# Why: before a task runs a Python module, Ansible builds the module's
# payload, a zip of the module and every module_utils file it imports, found
# by parsing each of them with `ast`. It keeps the payload only for the
# length of one run (a fresh directory under the local temp dir per
# process), so every ansible-playbook run parses the same few hundred files
# again for each module it uses. A py-spy profile of a no-op run of the
# postgresql role (45 task results, 2026-12-07) put 35 % of the controller's
# CPU there. The suite runs a few hundred playbooks.
#
# How it stays correct: an entry is keyed by the name Ansible gives the
# payload (module, compression, extensions), the SHA-256 of the module's
# source, the Python and the ansible-core versions. Before an entry is used,
# every file in its zip is compared, byte for byte, with the file Ansible
# would read today (ansible-core's package, then the collection paths in
# their search order); an entry with any difference or any file it cannot
# place is rebuilt by Ansible and replaced. A payload is stored only when
# that same comparison passes right after Ansible built it. It changes where
# a payload comes from, never what it holds; it is not part of the
# collection and no operator's controller has it unless they use the lab's
# venv with the variable set.
import os

_ENV = 'GW_ANSIBALLZ_CACHE'
_TARGET = 'ansible.executor.module_common'


def _ansible_root():
    import ansible
    return os.path.dirname(os.path.dirname(os.path.abspath(ansible.__file__)))


def _collection_roots():
    from ansible.utils.collection_loader import AnsibleCollectionConfig
    return [p for p in (AnsibleCollectionConfig.collection_paths or []) if os.path.isdir(p)]


def _on_disk(entry, roots):
    """The file Ansible reads for zip entry ``entry`` today, or None."""
    if entry.startswith('ansible/'):
        candidates = [_ansible_root()]
    elif entry.startswith('ansible_collections/'):
        candidates = roots
    else:
        return None
    for root in candidates:
        path = os.path.join(root, entry)
        if os.path.isfile(path):
            return path
    return None


def _current(cached, module_fqn):
    """True when every file in the cached payload is what Ansible would put there today."""
    import base64
    import io
    import zipfile
    parts = module_fqn.split('.')
    module_entry = '/'.join(parts) + '.py'
    # Files Ansible writes itself rather than reads: the two namespace stubs of recursive_finder (the first
    # holds ansible-core's version, which is in the key) and the empty __init__.py of each package on the
    # way to the module (_add_module_to_zip).
    written = {'ansible/__init__.py', 'ansible/module_utils/__init__.py'}
    packages = {'/'.join(parts[:i]) + '/__init__.py' for i in range(1, len(parts))}
    roots = _collection_roots()
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(cached.zip_data))) as zf:
        for info in zf.infolist():
            if info.filename in written or info.filename == module_entry or info.is_dir():
                continue  # the module itself is in the key
            data = zf.read(info)
            if info.filename in packages and not data:
                continue
            path = _on_disk(info.filename, roots)
            if path is None:
                # Ansible writes an empty __init__.py for a package directory that has none.
                if os.path.basename(info.filename) == '__init__.py' and not data:
                    continue
                return False
            with open(path, 'rb') as f:
                if f.read() != data:
                    return False
    return True


def _patch(mc):
    import hashlib
    import pickle
    import platform

    from ansible import constants as C
    from ansible.release import __version__ as ansible_version

    store = os.environ.get(_ENV)
    if not store:
        return
    try:
        os.makedirs(store, mode=0o700, exist_ok=True)
        st = os.lstat(store)
        if not os.path.isdir(store) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
            return  # someone else's, or others can write it: not used
    except OSError:
        return
    original = mc._find_module_utils

    def load(path):
        with open(path, 'rb') as f:
            return pickle.load(f)

    def save(cached, path):
        tmp = '%s.%d.tmp' % (path, os.getpid())
        with open(tmp, 'wb') as f:
            pickle.dump(cached, f)
        os.replace(tmp, path)

    def _find_module_utils(**kwargs):
        try:
            b_module_data = kwargs['b_module_data']
            if not mc.NEW_STYLE_PYTHON_MODULE_RE.search(b_module_data) and mc.REPLACER not in b_module_data:
                return original(**kwargs)  # not a payload Ansible caches
            try:
                fqn = mc._get_ansible_module_fqn(kwargs['module_path'])
            except ValueError:
                fqn = 'ansible.legacy.%s' % kwargs['module_name']
            extensions = mc._builder.ExtensionManager.create(task_vars=kwargs['task_vars'])
            extension_key = '~'.join(extensions.extension_names) if extensions.extension_names else 'none'
            name = '-'.join((fqn, kwargs['module_compression'], extension_key))
            run_file = os.path.join(C.DEFAULT_LOCAL_TMP, 'ansiballz_cache', name)
            key = hashlib.sha256('\0'.join((
                name, hashlib.sha256(b_module_data).hexdigest(), platform.python_version(), ansible_version,
            )).encode()).hexdigest()
            stored = os.path.join(store, key)
        except Exception:  # pylint: disable=broad-except
            return original(**kwargs)  # an Ansible whose internals differ: build as usual
        if not os.path.exists(run_file):
            try:
                cached = load(stored)
                if _current(cached, fqn):
                    os.makedirs(os.path.dirname(run_file), exist_ok=True)
                    save(cached, run_file)
                    stored = None
            except Exception:  # pylint: disable=broad-except
                pass  # none stored, unreadable, or stale: Ansible builds it
        else:
            stored = None  # this run has it already
        result = original(**kwargs)
        if stored:
            try:
                cached = load(run_file)
                if _current(cached, fqn):
                    save(cached, stored)
            except Exception:  # pylint: disable=broad-except
                pass
        return result

    mc._find_module_utils = _find_module_utils


if os.environ.get(_ENV):
    try:
        from gw_import_hook import patch_after_import
    except ImportError:  # the helper is not installed beside this hook: no hook
        pass
    else:
        patch_after_import(_TARGET, _patch)
