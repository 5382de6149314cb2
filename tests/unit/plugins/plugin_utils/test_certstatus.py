# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""groundwork.stack.certificate_status' decision: a certificate the pki role would sign again is current; every
way it can differ is a reason. The probe's shell line is run here against real files with openssl."""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.groundwork.stack.plugins.plugin_utils import certstatus

NOW = datetime.datetime(2026, 12, 7, tzinfo=datetime.timezone.utc)
SANS = ['DNS:db1', 'DNS:db1.example', 'DNS:localhost', 'IP:127.0.0.1']


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn='groundwork.stack CA'):
    key = ec.generate_private_key(ec.SECP384R1())
    cert = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(cn)).public_key(key.public_key())
            .serial_number(1).not_valid_before(NOW - datetime.timedelta(days=1))
            .not_valid_after(NOW + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_leaf(ca, host_key, cn='db1', sans=None, usages=(ExtendedKeyUsageOID.SERVER_AUTH,), days=825, issuer=None):
    ca_key, ca_cert = ca
    entries = []
    for entry in (SANS if sans is None else sans):
        kind, value = entry.split(':', 1)
        entries.append(x509.DNSName(value) if kind == 'DNS' else x509.IPAddress(ipaddress.ip_address(value)))
    builder = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer or ca_cert.subject)
               .public_key(host_key.public_key()).serial_number(2)
               .not_valid_before(NOW - datetime.timedelta(days=1)).not_valid_after(NOW + datetime.timedelta(days=days))
               .add_extension(x509.SubjectAlternativeName(entries), critical=False)
               .add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False))
    return builder.sign(ca_key, hashes.SHA256())


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def public(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(name='ca', scope='module')
def fixture_ca():
    return make_ca()


@pytest.fixture(name='host_key', scope='module')
def fixture_host_key():
    return ec.generate_private_key(ec.SECP384R1())


def assess(cert, key, ca, **overrides):
    args = dict(common_name='db1', sans=SANS, usages=['serverAuth'], renew_days=30, now=NOW)
    args.update(overrides)
    return certstatus.assess(pem(cert) if cert is not None else None, public(key), pem(ca[1]), args['common_name'],
                             args['sans'], args['usages'], args['renew_days'], now=args['now'])


def test_the_certificate_it_would_sign_is_current(ca, host_key):
    assert assess(make_leaf(ca, host_key), host_key, ca) == []


@pytest.mark.parametrize('change, reason', [
    (dict(cn='db2'), 'subject'),
    (dict(sans=SANS[:-1]), 'subjectAltName'),
    (dict(sans=list(reversed(SANS))), 'subjectAltName'),
    (dict(usages=(ExtendedKeyUsageOID.CLIENT_AUTH,)), 'extended key usage'),
    (dict(days=20), 'expires within 30 days'),
])
def test_each_difference_is_a_reason(ca, host_key, change, reason):
    assert reason in assess(make_leaf(ca, host_key, **change), host_key, ca)


def test_usages_compare_as_a_set(ca, host_key):
    cert = make_leaf(ca, host_key, usages=(ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH))
    assert assess(cert, host_key, ca, usages=['serverAuth', 'clientAuth']) == []
    assert 'extended key usage' in assess(cert, host_key, ca, usages=['serverAuth'])


def test_another_key_another_ca_and_no_certificate(ca, host_key):
    other_key = ec.generate_private_key(ec.SECP384R1())
    assert "the certificate is not for the host's key" in assess(make_leaf(ca, other_key), host_key, ca)
    # Same CA name, another CA key: the signature does not verify.
    impostor = make_ca()
    assert "the CA's signature does not verify" in assess(make_leaf(impostor, host_key), host_key, ca)
    assert 'not issued by the CA' in assess(make_leaf(make_ca('other CA'), host_key), host_key, ca)
    assert assess(None, host_key, ca) == ['no certificate']


def test_an_rsa_host_key_is_not_current(ca):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert 'the host key is not EC P-384' in assess(make_leaf(ca, rsa_key), rsa_key, ca)


@pytest.mark.parametrize('stat, reasons', [
    ({'owner': 'postgres', 'group': 'postgres', 'mode': '600'}, []),
    ({'owner': 'root', 'group': 'postgres', 'mode': '600'}, ['key owner']),
    ({'owner': 'postgres', 'group': 'root', 'mode': '640'}, ['key group', 'key mode']),
    (None, ['no private key']),
])
def test_key_reasons(stat, reasons):
    assert certstatus.key_reasons(stat, 'postgres', 'postgres', '0600') == reasons


@pytest.mark.skipif(shutil.which('openssl') is None, reason='openssl is not installed')
def test_the_probe_against_real_files(tmp_path, ca, host_key):
    key_path = tmp_path / "server key"
    key_path.write_bytes(host_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    cert_path = tmp_path / 'server.crt'
    cert_path.write_text(pem(make_leaf(ca, host_key)))
    out = subprocess.run(['/bin/sh', '-c', certstatus.probe_command(str(cert_path), str(key_path))],
                         capture_output=True, text=True, check=True).stdout
    stat, public_pem, cert_pem = certstatus.split_probe(out)
    assert stat['mode'] == '600'
    assert 'PRIVATE' not in out
    assert certstatus.assess(cert_pem, public_pem, pem(ca[1]), 'db1', SANS, ['serverAuth'], 30, now=NOW) == []
    missing = subprocess.run(['/bin/sh', '-c', certstatus.probe_command(str(tmp_path / 'none.crt'), str(key_path))],
                             capture_output=True, text=True, check=False).stdout
    assert certstatus.split_probe(missing)[2] is None
