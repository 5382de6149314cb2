# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input rules of the roles, checked one by one: the pure logic of groundwork.stack.check_input.

A rule names the variable it is about, says in words what it requires, and
gives one or more conditions (Jinja expressions, as in ``assert``'s
``that``). Every rule is evaluated on its own, so one broken rule gives one
message and never hides the next one; a condition that cannot even be
evaluated (a string given with ``-e key=value`` compared with a number, say)
is reported as that rule's problem, naming the variable, instead of
stopping the run with a type error.

The evaluator is passed in (``evaluate(expression, local_variables)``), so
this module does not depend on Ansible's templating and is unit-tested with
a plain Jinja environment.
"""

from __future__ import annotations

import json
import re

RULE_KEYS = frozenset(('var', 'rule', 'that', 'each', 'label', 'when', 'secret'))

# Variables whose values are never shown in a message, whatever the rule says.
_SECRET_NAME = re.compile(r'pass|secret|token|_key$|cipher|credential', re.IGNORECASE)

_MAX_VALUE = 160
_MAX_ERROR = 200


class RuleError(ValueError):
    """A rule itself is malformed (a bug in the role, not in the user's input)."""


class NotSet:  # pylint: disable=too-few-public-methods
    """Marker for a variable that is not defined."""

    def __repr__(self):
        return '(not set)'


NOT_SET = NotSet()


def normalize(rules):
    """Check the shape of ``rules`` and return them as a list of dicts with ``that`` as a list."""
    if not isinstance(rules, (list, tuple)):
        raise RuleError('rules must be a list, got %s' % type(rules).__name__)
    out = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise RuleError('rule #%d must be a dict, got %s' % (index + 1, type(rule).__name__))
        unknown = sorted(set(rule) - RULE_KEYS)
        if unknown:
            raise RuleError('rule #%d has unknown keys: %s' % (index + 1, ', '.join(unknown)))
        for key in ('var', 'rule', 'that'):
            if not rule.get(key):
                raise RuleError('rule #%d needs %s' % (index + 1, key))
        that = rule['that']
        if isinstance(that, str):
            that = [that]
        if not isinstance(that, (list, tuple)) or not all(isinstance(t, str) for t in that):
            raise RuleError('rule #%d (%s): that must be a string or a list of strings' % (index + 1, rule['var']))
        for key in ('each', 'label', 'when'):
            if key in rule and not isinstance(rule[key], str):
                raise RuleError('rule #%d (%s): %s must be a string expression' % (index + 1, rule['var'], key))
        normalized = dict(rule, that=list(that))
        normalized['secret'] = bool(rule.get('secret')) or bool(_SECRET_NAME.search(str(rule['var'])))
        out.append(normalized)
    return out


def show(value):
    """A short, one-line rendering of a value for a message."""
    if value is NOT_SET:
        return 'not set'
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    text = ' '.join(text.split())
    if len(text) > _MAX_VALUE:
        text = text[:_MAX_VALUE - 3] + '...'
    return text


def _error_text(error):
    text = ' '.join(str(error).split()) or type(error).__name__
    # Ansible's template errors end with the expression's origin: the first sentence says enough.
    text = text.split(' Origin: ')[0]
    if len(text) > _MAX_ERROR:
        text = text[:_MAX_ERROR - 3] + '...'
    return text


def check(rules, evaluate, value_of):
    """Evaluate every rule; return the problems, one message per broken rule (and per element with ``each``).

    ``evaluate(expression, local_variables)`` returns the value of a Jinja expression or raises;
    ``value_of(name)`` returns a variable's value, or NOT_SET.
    """
    problems = []
    for rule in normalize(rules):
        var, secret = rule['var'], rule['secret']

        def problem(where, text, value=NOT_SET, shown=True):
            line = '%s%s: %s' % (var, where, rule['rule'])
            if text:
                line += ' (%s)' % text
            elif shown and not secret:
                line += ' (got %s)' % show(value)
            if line not in problems:
                problems.append(line)

        if 'when' in rule:
            try:
                if evaluate(rule['when'], {}) is not True:
                    continue
            except Exception as error:  # pylint: disable=broad-except
                problem('', 'could not be checked' if secret else 'could not be checked: %s' % _error_text(error))
                continue

        if 'each' in rule:
            try:
                items = evaluate(rule['each'], {})
            except Exception as error:  # pylint: disable=broad-except
                problem('', 'could not be checked' if secret else 'could not be checked: %s' % _error_text(error))
                continue
            if isinstance(items, dict):
                items = [{'key': k, 'value': v} for k, v in items.items()]
            if not isinstance(items, (list, tuple)):
                problems.append('%s: must be a list (got %s)' % (var, 'a ' + type(items).__name__ if secret else show(items)))
                continue
            elements = list(enumerate(items))
        else:
            elements = [(None, NOT_SET)]

        for index, item in elements:
            local = {} if index is None else {'item': item}
            where = ''
            if index is not None:
                where = '[%d]' % index
                if 'label' in rule:
                    try:
                        where = '[%s]' % evaluate(rule['label'], local)
                    except Exception:  # pylint: disable=broad-except
                        pass
            for condition in rule['that']:
                try:
                    result = evaluate(condition, local)
                except Exception as error:  # pylint: disable=broad-except
                    problem(where, 'could not be checked' if secret else 'could not be checked: %s' % _error_text(error))
                    break
                if result is not True:
                    problem(where, None, item if index is not None else value_of(var))
                    break
    return problems
