# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_status
author:
  - groundwork.stack maintainers (@groundwork)
version_added: 0.4.0
short_description: Whether a host's leaf certificate is current, from one look at the host
description:
  - Reads the private key's owner, group and mode, its public key (C(openssl pkey -pubout)) and the certificate,
    with one shell command on the host (no Python there; the private key never leaves the host), and decides on
    the controller whether the certificate is the one the pki role would sign.
  - Current means all of, and each one that fails is listed in RV(reasons) - the key has the owner, group and
    mode asked for; the certificate holds the key's public key, an EC P-384 key; its subject is the common
    name alone; its subjectAltName entries and extended key usages are the ones asked for; its issuer is the CA
    and the CA's signature verifies; it is valid now and for more than O(renew_days).
  - Only reads; changes nothing. The pki role runs its full path (key, request, signature) when the certificate
    is not current.
options:
  cert_path:
    description: The certificate on the host.
    type: path
    required: true
  key_path:
    description: The private key on the host.
    type: path
    required: true
  ca_path:
    description: The CA certificate on the controller.
    type: path
    required: true
  common_name:
    description: The subject's common name.
    type: str
    required: true
  subject_alt_name:
    description: The subjectAltName entries, in order (C(DNS:name), C(IP:address)).
    type: list
    elements: str
  extended_key_usage:
    description: The extended key usages (C(serverAuth), C(clientAuth)).
    type: list
    elements: str
    default: [serverAuth]
  renew_days:
    description: A certificate valid for fewer days than this is not current.
    type: int
    default: 30
  owner:
    description: The private key's owner (a name).
    type: str
  group:
    description: The private key's group (a name).
    type: str
  mode:
    description: The private key's mode.
    type: str
    default: "0600"
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
    description: Nothing to show.
  platform:
    support: full
    platforms: posix
    description: C(openssl), C(stat) and C(cat) on the host; the cryptography library on the controller.
requirements:
  - cryptography (on the controller)
"""

EXAMPLES = r"""
- name: Check the server certificate
  groundwork.stack.certificate_status:
    cert_path: /etc/postgresql/tls/server.crt
    key_path: /etc/postgresql/tls/server.key
    ca_path: "{{ inventory_dir }}/.pki/groundwork-ca.crt"
    common_name: "{{ inventory_hostname }}"
    subject_alt_name: ["DNS:{{ inventory_hostname }}", "IP:127.0.0.1"]
    owner: postgres
    group: postgres
  register: server_cert
"""

RETURN = r"""
current:
  description: Whether the certificate is current.
  returned: always
  type: bool
  sample: true
reasons:
  description: Why it is not current (empty when it is).
  returned: always
  type: list
  elements: str
  sample: [subjectAltName, expires within 30 days]
certificate:
  description: The certificate on the host (PEM), when there is one.
  returned: when the host has the certificate
  type: str
"""
