# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test application of the groundwork.stack edge scenario."""

from __future__ import annotations

__version__ = '1.0.0'
