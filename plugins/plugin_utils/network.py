# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers to validate network values given in inventories."""

from __future__ import annotations

import ipaddress


def is_cidr(value):
    """True for an IPv4/IPv6 network in CIDR form whose host bits are zero (10.1.0.0/16, ::1/128)."""
    if not isinstance(value, str) or '/' not in value:
        return False
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        return False
    return True
