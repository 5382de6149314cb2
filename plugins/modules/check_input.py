# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: check_input
author:
  - groundwork.stack maintainers (@groundwork)
version_added: 0.2.0
short_description: Check a role's input against its rules, one message per broken rule
description:
  - Evaluates each rule on its own (a Jinja condition as in M(ansible.builtin.assert)) and reports
    B(every) broken rule, one line each, naming the variable, the rule and the value.
  - A condition that cannot be evaluated at all (a string given with C(-e key=value) compared with a
    number, a list where a dict belongs) is reported as that rule's problem instead of stopping the run
    with a type error.
  - Values are left out of the message for rules marked O(rules[].secret) and for variables whose name
    looks like a secret (C(pass), C(secret), C(token), C(cipher), a name ending in C(_key)).
  - Runs on the controller only; no connection to the host is needed, so C(playbooks/preflight.yml)
    can check an inventory whose hosts do not exist yet.
  - The preflight (role C(groundwork.stack.preflight), C(playbooks/preflight.yml)) runs the same
    checks for every host and gathers the lines of every failed one into one report.
options:
  role:
    description: The role whose input this is, for the message.
    type: str
  rules:
    description: The rules, checked in order. Every rule is checked, whatever the others give.
    type: list
    elements: dict
    required: true
    suboptions:
      var:
        description: The variable the rule is about (named in the message; its value is shown).
        type: str
        required: true
      rule:
        description: What the variable must satisfy, in words; the message quotes it.
        type: str
        required: true
      that:
        description:
          - One or more conditions, bare Jinja expressions. The rule is broken at the first that is not
            true; the rest of that rule is not evaluated.
        type: list
        elements: str
        required: true
      each:
        description:
          - An expression giving a list (or a dict, seen as C(key)/C(value) items); the conditions are
            evaluated once per element with the element as C(item), and each broken element is reported.
        type: str
      label:
        description: An expression naming C(item) in the message, like C(item.name) (default the index).
        type: str
      when:
        description: An expression; the rule is checked only when it is true.
        type: str
      secret:
        description: Never show the value in the message.
        type: bool
        default: false
attributes:
  check_mode:
    support: full
    description: Only reads variables.
  diff_mode:
    support: none
    description: Nothing to show.
  platform:
    support: full
    platforms: all
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Check the nginx role's input
  groundwork.stack.check_input:
    role: nginx
    rules:
      - var: nginx_sites
        each: nginx_sites
        label: item.name | default('?')
        rule: a location's upstream must be one of nginx_upstreams
        that:
          - >-
            item.locations | default([]) | selectattr('upstream', 'defined') | map(attribute='upstream')
            | difference(nginx_upstreams | map(attribute='name')) | length == 0
      - var: nginx_client_max_body_size
        rule: a size like 10m or 1g
        that: nginx_client_max_body_size | string is match('^[0-9]+[kmg]?$')
"""

RETURN = r"""
msg:
  description: What was checked, or every problem, one per line.
  returned: always
  type: str
problems:
  description:
    - One line per broken rule (per element with C(each)), in rule order.
    - A failed task gives them in RV(msg) only, one C(- ) line each.
  returned: success
  type: list
  elements: str
  sample: []
"""
