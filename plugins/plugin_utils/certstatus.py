# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of groundwork.stack.certificate_status: whether a host's leaf certificate is current, from its PEM
text, the public key of the host's private key and the CA certificate.

The pki role's full path makes a key, a certificate signing request, reads the certificate and signs it again
on the controller: four Python runs (about 1.2 s per certificate on a lab host, 2026-12-07) to find, on every
converge, that the certificate is the one it would sign. Current means: the certificate holds the host key's
public key (an EC P-384 key), its subject is the common name only, its subjectAltName entries and extended key
usages are the ones asked for, it was signed by the CA (signature checked), and it is valid for more than the
renewal window. Anything else is a reason, and the role takes its full path.
"""

from __future__ import annotations

import datetime
import ipaddress
import shlex

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - the controller's venv has it (community.crypto needs it too)
    HAS_CRYPTOGRAPHY = False

USAGES = {
    'serverAuth': '1.3.6.1.5.5.7.3.1',
    'clientAuth': '1.3.6.1.5.5.7.3.2',
}

BEGIN_KEY = '-----BEGIN PUBLIC KEY-----'
END_KEY = '-----END PUBLIC KEY-----'
BEGIN_CERT = '-----BEGIN CERTIFICATE-----'
END_CERT = '-----END CERTIFICATE-----'


def probe_command(cert_path, key_path):
    """One shell line: the key's owner, group and mode, its public key, then the certificate (PEM)."""
    key = shlex.quote(key_path)
    return "stat -c 'key %%U %%G %%a' -- %s && openssl pkey -in %s -pubout && cat -- %s" % (key, key, shlex.quote(cert_path))


def split_probe(stdout):
    """(key_stat, public_key_pem, certificate_pem) from the probe's output; None for what is missing."""
    text = stdout or ''
    stat = None
    for line in text.splitlines():
        if line.startswith('key '):
            fields = line.split()
            if len(fields) == 4:
                stat = {'owner': fields[1], 'group': fields[2], 'mode': fields[3]}
            break
    public = _between(text, BEGIN_KEY, END_KEY)
    cert = _between(text, BEGIN_CERT, END_CERT)
    return stat, public, cert


def _between(text, begin, end):
    start = text.find(begin)
    stop = text.find(end, start)
    if start < 0 or stop < 0:
        return None
    return text[start:stop + len(end)] + '\n'


def _san(entry):
    if isinstance(entry, x509.DNSName):
        return 'DNS:' + entry.value
    if isinstance(entry, x509.IPAddress):
        return 'IP:' + str(entry.value)
    return 'other:' + repr(entry)


def _normal_san(text):
    kind, _sep, value = str(text).partition(':')
    if kind == 'IP':
        try:
            return 'IP:' + str(ipaddress.ip_address(value))
        except ValueError:
            return text
    return '%s:%s' % (kind, value)


def assess(cert_pem, public_pem, ca_pem, common_name, sans, usages, renew_days, now=None):
    """The reasons the certificate is not current (an empty list when it is)."""
    if not HAS_CRYPTOGRAPHY:
        return ['the cryptography library is missing on the controller']
    if not cert_pem:
        return ['no certificate']
    if not public_pem:
        return ['no private key']
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        ca = x509.load_pem_x509_certificate(ca_pem.encode())
        host_key = serialization.load_pem_public_key(public_pem.encode())
    except ValueError as error:
        return ['unreadable: %s' % error]
    reasons = []
    if not isinstance(host_key, ec.EllipticCurvePublicKey) or host_key.curve.name != 'secp384r1':
        reasons.append('the host key is not EC P-384')
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if cert.public_key().public_bytes(serialization.Encoding.DER, spki) != host_key.public_bytes(serialization.Encoding.DER, spki):
        reasons.append("the certificate is not for the host's key")
    subject = [(attr.oid, attr.value) for attr in cert.subject]
    if subject != [(NameOID.COMMON_NAME, common_name)]:
        reasons.append('subject')
    try:
        present = [_san(entry) for entry in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value]
    except x509.ExtensionNotFound:
        present = []
    if [_normal_san(entry) for entry in present] != [_normal_san(entry) for entry in sans]:
        reasons.append('subjectAltName')
    wanted = []
    for usage in usages:
        if usage not in USAGES:
            reasons.append('extended key usage %s unknown here' % usage)
        wanted.append(USAGES.get(usage, usage))
    try:
        have = [oid.dotted_string for oid in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value]
    except x509.ExtensionNotFound:
        have = []
    if sorted(have) != sorted(wanted):
        reasons.append('extended key usage')
    if cert.issuer != ca.subject:
        reasons.append('not issued by the CA')
    else:
        try:
            cert.verify_directly_issued_by(ca)
        except Exception:  # pylint: disable=broad-exception-caught
            # InvalidSignature, or a ValueError/TypeError for a mismatched algorithm: not the CA's.
            reasons.append("the CA's signature does not verify")
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if cert.not_valid_after_utc - now < datetime.timedelta(days=int(renew_days)):
        reasons.append('expires within %s days' % renew_days)
    if cert.not_valid_before_utc > now:
        reasons.append('not valid yet')
    return reasons


def key_reasons(stat, owner, group, mode):
    """The reasons the private key's owner, group or mode is not as asked."""
    if stat is None:
        return ['no private key']
    reasons = []
    if stat['owner'] != str(owner):
        reasons.append('key owner')
    if stat['group'] != str(group):
        reasons.append('key group')
    if int(stat['mode'], 8) != int(str(mode), 8):
        reasons.append('key mode')
    return reasons
