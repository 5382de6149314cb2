# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Behaviour of a host converged with groundwork.stack.base, seen over SSH."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
from labtest import assert_reported, lab_host, run_playbook, ssh, ssh_argv  # noqa: E402  pylint: disable=wrong-import-position

CONVERGE = os.path.join(os.path.dirname(__file__), '..', 'converge.yml')
HOSTS = ('gw-mol-base', 'gw-mol-base-bookworm')


@pytest.fixture(name='address', scope='module')
def fixture_address(host):
    return host.ansible.get_variables()['ansible_host']


@pytest.fixture(name='name', scope='module')
def fixture_name(host):
    return host.ansible.get_variables()['inventory_hostname']


def test_admin_logs_in_with_key_and_has_sudo(address):
    result = ssh(address, 'ops', 'sudo -n id -u')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '0'


def test_admin_without_sudo_cannot_escalate(address):
    assert ssh(address, 'auditor', 'true').returncode == 0
    result = ssh(address, 'auditor', 'sudo -n true')
    # sudo's refusal (exit 1), not an SSH failure (255).
    assert result.returncode == 1 and 'sudo:' in result.stderr, result.stderr


def test_retired_admin_is_gone(host, address):
    assert not host.user('retired').exists
    assert ssh(address, 'retired', 'true').returncode == 255


def test_password_authentication_is_not_offered(address):
    result = ssh(address, 'ops', 'true', ['-o', 'PubkeyAuthentication=no',
                                          '-o', 'PreferredAuthentications=password,keyboard-interactive'])
    assert result.returncode == 255
    assert 'Permission denied (publickey)' in result.stderr


def test_root_login_is_refused_even_with_an_authorized_key(host, address):
    with host.sudo():
        host.run_test('install -d -m 0700 /root/.ssh && cp ~debian/.ssh/authorized_keys /root/.ssh/authorized_keys')
    try:
        result = ssh(address, 'root', 'true')
        assert result.returncode == 255
        assert 'Permission denied' in result.stderr
    finally:
        with host.sudo():
            host.run_test('rm -f /root/.ssh/authorized_keys')


@pytest.mark.parametrize('options, refusal', [
    (['-c', 'aes128-cbc'], 'no matching cipher found'),
    (['-c', '3des-cbc'], 'no matching cipher found'),
    (['-o', 'KexAlgorithms=diffie-hellman-group14-sha1'], 'no matching key exchange method found'),
    (['-o', 'KexAlgorithms=ecdh-sha2-nistp256'], 'no matching key exchange method found'),
    (['-c', 'aes128-ctr', '-o', 'MACs=hmac-sha1'], 'no matching MAC found'),
    (['-c', 'aes128-ctr', '-o', 'MACs=umac-64@openssh.com'], 'no matching MAC found'),
])
def test_weak_algorithms_are_refused(address, options, refusal):
    result = ssh(address, 'ops', 'true', options)
    assert result.returncode == 255
    assert refusal in result.stderr


@pytest.mark.parametrize('options', [
    ['-c', 'chacha20-poly1305@openssh.com'],
    ['-c', 'aes256-gcm@openssh.com', '-o', 'KexAlgorithms=curve25519-sha256'],
    ['-c', 'aes256-ctr', '-o', 'MACs=hmac-sha2-512-etm@openssh.com'],
])
def test_strong_algorithms_are_accepted(address, options):
    result = ssh(address, 'ops', 'true', options)
    assert result.returncode == 0, result.stderr


def test_short_dh_moduli_are_gone(host):
    short = host.check_output("awk '$5 < 3071 && $1 !~ /^#/' /etc/ssh/moduli | wc -l")
    assert short == '0'


def test_timezone_and_locale(host, address):
    assert host.check_output('timedatectl show -p Timezone --value') == 'Europe/Berlin'
    assert host.check_output('date +%Z') in ('CET', 'CEST')
    assert ssh(address, 'ops', 'echo $LANG').stdout.strip() == 'en_US.UTF-8'
    assert 'de_DE.utf8' in host.check_output('locale -a').split()


def test_journal_is_persistent_and_capped(host):
    with host.sudo():
        host.run_test('logger -t gw-verify journal-persistence-probe && journalctl --flush')
        files = host.check_output('journalctl --header | grep "File path"')
        assert '/var/log/journal/' in files
        # journald reports the cap it applies when it (re)opens the system journal.
        status = host.check_output('journalctl -b -u systemd-journald --no-pager -o cat')
    assert re.search(r'System Journal .* max 64(\.0)?M', status), status


def test_unattended_upgrades_would_install_security_updates(host):
    with host.sudo():
        assert host.check_output('apt-config dump APT::Periodic::Unattended-Upgrade') == \
            'APT::Periodic::Unattended-Upgrade "1";'
        result = host.run('unattended-upgrade --dry-run --debug 2>&1')
    assert result.rc == 0, result.stdout
    assert 'label=Debian-Security' in result.stdout


def test_sshd_config_is_what_sshd_runs(host):
    with host.sudo():
        effective = host.check_output('sshd -T')
    assert 'passwordauthentication no' in effective
    assert 'permitrootlogin no' in effective
    assert 'maxauthtries 3' in effective
    assert 'x11forwarding no' in effective


# Each run breaks several rules at once, on both hosts: the argument spec's
# rules (type, choices, required) in one run, the role's own checks in the
# others (the spec stops the role before them), and a variable broken two
# ways in separate runs. Every variable named must be in the failure report.
# Until 2026-12-06 this was 9 runs per host (18); the inputs are the same.
@pytest.mark.parametrize('extra_vars, named', [
    ({'base_sshd_port': 'twenty-two', 'base_sshd_permit_root_login': 'yes', 'base_admin_users': [{'name': 'eve'}],
      'base_hardening_aide_first_build': 'sometimes', 'base_hardening_aide_checksums': ['md5']},
     ['base_sshd_port', 'base_sshd_permit_root_login', 'ssh_keys', 'base_hardening_aide_first_build',
      'base_hardening_aide_checksums']),
    ({'base_timezone': 'Mars/Olympus_Mons', 'base_admin_users': [{'name': 'eve', 'ssh_keys': []}],
      'base_journald_system_max_use': 'lots', 'base_hardening_aide_exclude': ['var/lib/relative'],
      'base_hardening_aide_checksums': []},
     ['base_timezone', 'base_admin_users', 'base_journald_system_max_use', 'base_hardening_aide_exclude',
      'base_hardening_aide_checksums']),
    ({'base_timezone': '../../etc/passwd', 'base_admin_users': [{'name': 'eve', 'ssh_keys': ['not a key']}]},
     ['base_timezone', 'base_admin_users']),
    ({'base_sshd_port': 2222}, ['base_sshd_port']),
])
def test_bad_input_fails_before_any_change(extra_vars, named):
    hosts = {name: lab_host(name) for name in HOSTS}
    watched = 'sudo sha256sum /etc/ssh/sshd_config /etc/passwd /etc/localtime'
    before = {name: host.check_output(watched) for name, host in hosts.items()}
    rc, output, changed = run_playbook(CONVERGE, extra_vars, limit=','.join(HOSTS))
    assert rc != 0
    assert_reported(output, ['fatal: [%s]' % name for name in HOSTS] + named)
    assert changed == 0
    for name, host in hosts.items():
        assert host.check_output(watched) == before[name], name


SSHD_ONLY = ('--tags', 'base_sshd')


def test_hardening_reload_keeps_open_sessions():
    """Re-apply the role with a changed sshd setting while a session is open on each host.

    Both hosts in one run (and one run to put the setting back): the reload is per host. Both runs
    apply the role's sshd stage alone (--tags base_sshd, the way an operator changes one setting):
    the whole role took 73 s per run on a loaded machine; converge and idempotence apply all of it.
    """
    hosts = {name: lab_host(name) for name in HOSTS}
    sessions = {name: subprocess.Popen(  # pylint: disable=consider-using-with
        ssh_argv(host.ansible.get_variables()['ansible_host'], 'debian', 'echo open; read -r _; echo still-here'),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name, host in hosts.items()}
    try:
        for name, session in sessions.items():
            assert session.stdout.readline().strip() == 'open', (name, session.stderr.read())
        rc, output, changed = run_playbook(CONVERGE, {'base_sshd_max_sessions': 7}, limit=','.join(HOSTS), args=SSHD_ONLY)
        assert rc == 0, output[-3000:]
        for name, host in hosts.items():
            assert re.search(r'%s\s*:.*changed=[1-9]' % re.escape(name), output), name
            with host.sudo():
                assert 'maxsessions 7' in host.check_output('sshd -T'), name
        for name, session in sessions.items():
            # The session waited for this line through the whole run, reload included.
            assert session.poll() is None, (name, session.stderr.read())
            stdout, stderr = session.communicate('go\n', timeout=60)
            assert session.returncode == 0, (name, stderr)
            assert stdout.strip() == 'still-here', name
        assert changed >= len(HOSTS)
    finally:
        for session in sessions.values():
            if session.poll() is None:
                session.kill()
        rc, output = run_playbook(CONVERGE, limit=','.join(HOSTS), args=SSHD_ONLY)[:2]
        assert rc == 0, output[-3000:]


# OS hardening (tasks/hardening.yml).

def test_new_accounts_get_private_homes(host):
    # login.defs: useradd derives a home's mode from UMASK 027 (0750 on
    # Debian 12), or from HOME_MODE where Debian sets it (0700 on Debian 13):
    # either way others get nothing and the group cannot write.
    with host.sudo():
        host.run_test('useradd -m gw-umask-probe')
        try:
            mode = host.file('/home/gw-umask-probe').mode
        finally:
            host.run_test('userdel -r gw-umask-probe')
    assert mode & 0o027 == 0 and mode & 0o700 == 0o700, oct(mode)


def test_password_accounts_age_and_key_only_ones_do_not(host):
    with host.sudo():
        legacy = host.check_output('chage -l legacy')
        ops = host.check_output('chage -l ops')
    assert re.search(r'Maximum number of days between password change\s*:\s*365$', legacy, re.M), legacy
    assert re.search(r'Minimum number of days between password change\s*:\s*1$', legacy, re.M), legacy
    assert re.search(r'Number of days of warning before password expires\s*:\s*14$', legacy, re.M), legacy
    # An administrator logs in with keys only: no password to expire, and an
    # expiry would not lock their key logins out either.
    assert re.search(r'Password expires\s*:\s*never$', ops, re.M), ops


def test_failed_password_logins_lock_the_account_until_reset(host):
    # pam_faillock (base_hardening_faillock_deny, 3 in this scenario, 5 by
    # default): a local password account is locked after that many failures,
    # the right password is then refused too, and root's reset opens it
    # again. The logins are su from an unprivileged account, on a
    # pseudo-terminal (script), with the password typed once su asks.
    user, password = 'gw-lockme', 'Molecule-Gw-Lock-2026!'
    deny = int(host.ansible.get_variables()['base_hardening_faillock_deny'])

    def su(secret):
        typed = '(sleep 1; printf "%%s\\n" %s) | script -qec "su %s -c \'echo LOGGED-IN\'" /dev/null' % (
            shlex.quote(secret), user)
        with host.sudo():
            return host.run('runuser -u auditor -- sh -c %s', typed)

    with host.sudo():
        host.run_test('id %s >/dev/null 2>&1 || useradd -m %s', user, user)
        host.run_test('printf "%%s:%%s\\n" %s %s | chpasswd', user, password)
        host.run_test('faillock --user %s --reset', user)
    try:
        assert 'LOGGED-IN' in su(password).stdout
        for attempt in range(deny):
            assert 'LOGGED-IN' not in su('not-the-password').stdout, attempt
        locked = su(password)
        assert 'LOGGED-IN' not in locked.stdout and 'locked' in locked.stdout, locked.stdout
        with host.sudo():
            records = host.check_output('faillock --user %s', user)
            assert len(re.findall(r'^\d{4}-\d\d-\d\d .* V$', records, re.M)) == deny, records
            host.run_test('faillock --user %s --reset', user)
        assert 'LOGGED-IN' in su(password).stdout
    finally:
        with host.sudo():
            host.run('userdel -r %s', user)


@pytest.mark.parametrize('password, accepted', [
    ('Tr0ub4dor&3', False),           # 11 characters: under minlen 14
    ('aaaaaaaaaaaaaaaa', False),      # one class, repeated
    ('correcthorsebatterystaple', False),  # one class only
    ('Molecule-Gw-Base-2026!', True),
])
def test_password_quality_rules_apply(host, password, accepted):
    result = host.run('printf %%s %s | pwscore', password)
    assert (result.rc == 0) == accepted, result.stderr


@pytest.mark.parametrize('module', ['usb-storage', 'sctp', 'dccp', 'cramfs'])
def test_unused_kernel_modules_cannot_load(host, module):
    # modprobe's own reading of its configuration (kmod writes '_' for '-').
    config = host.check_output('/usr/sbin/modprobe --showconfig')
    name = module.replace('-', '_')
    assert 'install %s /bin/false' % name in config.splitlines()
    assert 'blacklist %s' % name in config.splitlines()


def _role_sysctl():
    with open(os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles', 'base', 'defaults', 'main.yml'),
              encoding='utf-8') as f:
        defaults = yaml.safe_load(f)
    merged = dict(defaults['base_sysctl'])
    merged.update(defaults['base_hardening_sysctl'])
    return merged


def test_network_namespace_settings_are_the_roles(host):
    # A container cannot write /proc/sys; the lab gives its hosts the role's
    # net.* settings when they are created (lab/netns-sysctl.conf). The ones
    # a network namespace has must hold the role's values, so redirects,
    # source routes and forwarding are off as on a VM.
    checked, wrong = [], []
    for key, value in _role_sysctl().items():
        path = '/proc/sys/' + key.replace('.', '/')
        if not key.startswith('net.') or not host.file(path).exists:
            continue
        live = ' '.join(host.file(path).content_string.split())
        checked.append(key)
        if live != ' '.join(str(value).split()):
            wrong.append('%s=%s (role: %s)' % (key, live, value))
    assert len(checked) >= 20, checked
    assert not wrong, wrong


def test_container_report_names_a_setting_it_was_not_given(name):
    rc, output, _changed = run_playbook(
        os.path.join(os.path.dirname(__file__), '..', 'sysctl-report.yml'), limit=name,
        extra_vars={'base_sysctl_extra': {'net.ipv4.tcp_fin_timeout': 21, 'net.ipv4.ip_local_port_range': '10240 65535'}})
    assert rc == 0, output[-3000:]
    # The message, line wraps of the result format undone.
    assert '1 differ, give them when the container is created: --sysctl net.ipv4.tcp_fin_timeout=21.' \
        in ' '.join(output.split()), output[-3000:]


def test_login_sessions_have_no_core_dumps_and_a_private_tmpdir(address):
    result = ssh(address, 'ops', 'ulimit -Hc; echo "$TMPDIR"; stat -c %a "$TMPDIR"')
    assert result.returncode == 0, result.stderr
    core, tmpdir, mode = result.stdout.split()
    assert core == '0'
    assert re.match(r'^/tmp/user/[0-9]+$', tmpdir) and mode == '700', result.stdout


def test_interactive_shells_time_out_and_dump_no_core(address):
    # An interactive login shell gets the idle timeout, read-only; a plain
    # SSH command (what Ansible runs) is not interactive and has none.
    result = ssh(address, 'ops', 'bash -lic \'echo "tmout=$TMOUT"; readonly -p | grep -c " TMOUT="; ulimit -c; TMOUT=5\' 2>&1')
    assert 'tmout=900' in result.stdout, result.stdout + result.stderr
    lines = result.stdout.split()
    assert lines[lines.index('tmout=900') + 1:lines.index('tmout=900') + 3] == ['1', '0'], result.stdout
    assert 'TMOUT: readonly variable' in result.stdout, result.stdout
    plain = ssh(address, 'ops', 'echo "tmout=${TMOUT:-none}"')
    assert plain.stdout.strip() == 'tmout=none', plain.stdout


def test_debsums_checks_the_installed_files_from_cron(host):
    with host.sudo():
        assert host.check_output('grep ^CRON_CHECK= /etc/default/debsums') == 'CRON_CHECK=weekly'
        assert host.service('cron').is_running
        # The weekly job runs debsums when CRON_CHECK asks for it; on this
        # converged host no file differs from its package.
        result = host.run('debsums -s -c base-files')
    assert result.rc == 0, result.stdout + result.stderr


def test_needrestart_lists_and_never_restarts(host):
    # Batch mode is what apt's hook parses; the restart mode is the one the
    # role configured ('l': list only), as needrestart itself reports it.
    with host.sudo():
        result = host.run('needrestart -b -v')
    assert result.rc == 0, result.stderr
    assert 'NEEDRESTART-VER:' in result.stdout
    with host.sudo():
        mode = host.check_output(
            "perl -e 'our %nrconf; do $_ for (\"/etc/needrestart/needrestart.conf\", "
            "glob(\"/etc/needrestart/conf.d/*.conf\")); print $nrconf{restart}'")
    assert mode == 'l'


def test_first_converge_applied_the_pending_security_updates(host, name):
    # The image is a plain debootstrap of the release: the security suite
    # had updates for it, and the first converge installed them all.
    if name != 'gw-mol-base':
        pytest.skip('security updates are applied on the trixie host only (converge.yml)')
    with host.sudo():
        pending = host.check_output('apt list --upgradable 2>/dev/null | grep -- "-security" || true')
    assert pending == '', pending


AIDE_PROBE = '/usr/local/sbin/gw-aide-probe'
AIDE_EXCLUDED_PROBE = '/var/backups/postgresql/gw-aide-probe'  # in base_hardening_aide_exclude


def test_aide_daily_check_reports_a_new_file_and_skips_excluded_data(host, name):
    # The trixie host built its first database during the converge (converge.yml: wait); the
    # daily check Debian schedules compares the system with it.
    if name != 'gw-mol-base':
        pytest.skip('the first AIDE database is built in the background on the bookworm host')
    with host.sudo():
        db = host.file('/var/lib/aide/aide.db')
        assert db.exists and db.user == '_aide' and db.mode == 0o600
        # The database holds the one hash asked for (base_hardening_aide_checksums), not Debian's
        # seven (Stribog and SHA-3 among them: 7x the CPU of the build and of every daily check).
        columns = host.check_output("zcat -f /var/lib/aide/aide.db | grep -m1 '^@@db_spec'").split()
        assert 'sha512' in columns and not {'sha256', 'stribog512', 'sha3_512'} & set(columns), columns
        timer = host.service('dailyaidecheck.timer')
        assert timer.is_enabled and timer.is_running
        host.check_output('install -d -m 0700 %s', os.path.dirname(AIDE_EXCLUDED_PROBE))
        for path in (AIDE_PROBE, AIDE_EXCLUDED_PROBE):
            host.check_output('printf probe > %s', path)
        try:
            host.run('systemctl reset-failed dailyaidecheck.service')
            started = host.run('systemctl start dailyaidecheck.service')
            report = host.check_output('cat /var/log/aide/aide.log')
        finally:
            host.run('rm -f %s %s', AIDE_PROBE, AIDE_EXCLUDED_PROBE)
            host.run('systemctl reset-failed dailyaidecheck.service')
    assert started.rc == 0, started.stderr + host.run('journalctl -q --no-pager -n 30 -u dailyaidecheck.service').stdout
    assert AIDE_PROBE in report, report[-3000:]
    assert AIDE_EXCLUDED_PROBE not in report, report[-3000:]


def test_aide_first_database_builds_in_the_background_at_idle_priority(host, name):
    if name == 'gw-mol-base':
        pytest.skip('the trixie host built its first AIDE database during the converge')
    shown = host.check_output(
        'systemctl show groundwork-aide-init.service -p CPUSchedulingPolicy -p IOSchedulingClass -p Nice'
        ' -p ActiveState -p SubState -p Result')
    props = dict(line.split('=', 1) for line in shown.splitlines())
    # SCHED_IDLE (5) and the idle I/O class (3): the build only takes time nothing else wants.
    assert (props['CPUSchedulingPolicy'], props['IOSchedulingClass'], props['Nice']) == ('5', '3', '19'), props
    # Started by the converge, which did not wait for it: still hashing, or done (active, exited) with the
    # database in place for the daily check (cron.daily on Debian 12).
    assert props['Result'] == 'success', props
    assert (props['ActiveState'], props['SubState']) in (('activating', 'start'), ('active', 'exited')), props
    if props['ActiveState'] == 'active':
        with host.sudo():
            db = host.file('/var/lib/aide/aide.db')
            assert db.exists and db.user == '_aide' and db.mode == 0o600


CHKROOTKIT_PROBE = '/usr/lib/.gw-rootkit-probe'


def test_chkrootkit_daily_check_reports_only_a_new_suspicious_file(host, name):
    # The trixie host took the baseline during the converge (converge.yml: wait). Debian's daily unit then
    # reports, as the difference from it, a hidden file planted in /usr/lib (what the "suspicious files and
    # dirs" search looks for), and nothing else: no false positive from the converged host itself. The
    # report is mailed to root.
    if name != 'gw-mol-base':
        pytest.skip("chkrootkit's baseline is taken in the background on the bookworm host")
    report = '/var/log/chkrootkit/chkrootkit-daily.log'
    with host.sudo():
        assert host.file('/var/log/chkrootkit/log.expected').exists
        timer = host.service('chkrootkit.timer')
        assert timer.is_enabled and timer.is_running
        try:
            host.check_output('printf probe > %s', CHKROOTKIT_PROBE)
            since = host.check_output('date "+%Y-%m-%d %H:%M:%S"')
            planted = host.run('systemctl start chkrootkit.service')
            planted_report = host.check_output('cat %s', report)
            journal = host.check_output('journalctl -q --no-pager -u chkrootkit.service --since %s', since)
        finally:
            host.run('rm -f %s', CHKROOTKIT_PROBE)
    assert planted.rc == 0, planted.stderr
    # The difference is the planted file, under the search that found it, and nothing else: its status
    # line turns to WARNING, the warning's header and blank lines come with it.
    changed = [line for line in planted_report.splitlines()
               if line[:1] in '+-' and not line.startswith(('+++', '---'))]
    expected = ('-Searching for suspicious files and dirs', '+Searching for suspicious files and dirs',
                '+WARNING: The following suspicious files and directories were found', '+' + CHKROOTKIT_PROBE)
    assert [line for line in changed if line.startswith('+/')] == ['+%s [Not from a Debian package]' % CHKROOTKIT_PROBE], \
        planted_report[-3000:]
    assert all(line.strip() in '+-' or line.startswith(expected) for line in changed), planted_report[-3000:]
    assert 'sending alert to root' in journal, journal[-3000:]


def test_chkrootkit_is_left_out_by_default(host, name):
    # base_hardening_rootkit_check is off by default: no scanner and no daily unit.
    if name == 'gw-mol-base':
        pytest.skip('the trixie host turns chkrootkit on (converge.yml)')
    assert not host.package('chkrootkit').is_installed
    assert not host.file('/usr/lib/systemd/system/chkrootkit.timer').exists


def test_only_root_runs_the_assembler_and_the_linker(host):
    # binutils comes with chkrootkit on the trixie host, and with the image's packages on the bookworm one;
    # a service account that is broken into cannot assemble or link code.
    with host.sudo():
        for tool in ('as', 'ld'):
            denied = host.run('runuser -u auditor -- %s --version', tool)
            assert denied.rc != 0 and 'Permission denied' in denied.stderr, (tool, denied.stdout, denied.stderr)
            assert host.run('%s --version', tool).rc == 0, tool
        # Kept by dpkg across upgrades of binutils.
        overrides = host.check_output('dpkg-statoverride --list')
    assert re.search(r'^root root 0?750 /usr/bin/x86_64-linux-gnu-as$', overrides, re.M), overrides
