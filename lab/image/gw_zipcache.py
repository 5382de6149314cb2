# Lab images only (lab/image.sh): a bytecode cache for Python modules
# imported from zip files. Ansible sends every module to the host as a zip of
# its code and module_utils; Python's zipimport cannot cache compiled
# bytecode, so each task compiled ansible.module_utils.basic and its imports
# again: ~250 of the ~300 ms of CPU a ping cost on a lab host. This keeps the
# compiled code per source text (SHA-256 of the source and the interpreter's
# cache tag) and gives it the path of the current payload, so tracebacks are
# unchanged. It changes nothing but the compile step; it is not part of the
# collection and no host outside the lab has it.
#
# Each user has its own cache directory, 0700 and owned by that user: a
# directory someone else made, or one others can write, is not used (no user
# can feed code to another, root included).
#
# The lab's controller venv has it too (lab/bootstrap.sh), for the modules
# Ansible runs on the controller (delegate_to: localhost); there the cache
# is under GW_ZIPIMPORT_CACHE (lab/env.sh sets it), and without that
# variable under a directory the controller does not have, so unused.
import os
import zipimport

_ROOT = os.environ.get('GW_ZIPIMPORT_CACHE') or '/var/cache/gw-zipimport'
_state = {}


def _directory():
    if 'dir' not in _state:
        path = os.path.join(_ROOT, str(os.geteuid()))
        try:
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:
                pass
            st = os.lstat(path)
            usable = os.path.isdir(path) and not os.path.islink(path) \
                and st.st_uid == os.geteuid() and (st.st_mode & 0o077) == 0
        except OSError:
            usable = False
        _state['dir'] = path if usable else None
    return _state['dir']


def _install():
    compile_source = getattr(zipimport, '_compile_source', None)
    if compile_source is None:
        return

    def cached(pathname, source):
        directory = _directory()
        if directory is None:
            return compile_source(pathname, source)
        import _imp
        import hashlib
        import marshal
        import sys
        data = source.encode('utf-8', 'surrogateescape') if isinstance(source, str) else source
        digest = hashlib.sha256(sys.implementation.cache_tag.encode() + b'\0' + data).hexdigest()
        path = os.path.join(directory, digest)
        try:
            with open(path, 'rb') as f:
                code = marshal.loads(f.read())
            _imp._fix_co_filename(code, pathname)
            return code
        except (OSError, ValueError, EOFError, TypeError):
            pass
        code = compile_source(pathname, source)
        tmp = '%s.%d.tmp' % (path, os.getpid())
        try:
            with open(tmp, 'wb') as f:
                f.write(marshal.dumps(code))
            os.replace(tmp, path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return code

    zipimport._compile_source = cached


_install()
