#!/usr/bin/env python3
"""Render the Jinja-subset test cases with real Jinja2 and write golden.json.

Run from this directory:  python3 gen.py > golden.json
The Go test (dagfile/jinja_test.go) reads golden.json; it never runs this.

The environment is the one Airflow renders templates with: a
SandboxedEnvironment with StrictUndefined, the `do` extension, default
trim/newline settings. The context mirrors what dagfile.contextVars builds
and what Airflow passes: dag, task, ti/task_instance and dag_run are objects
(only their attributes are used), logical_date is an aware UTC date-time
that prints as ISO 8601 (pendulum does), params is a plain dict.
"""
import datetime
import json
import sys
import types

import jinja2
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

CONTEXT = {
    "dag_id": "sales",
    "run_id": "scheduled__2026-01-05T02:30:00+00:00",
    "task_id": "load",
    "logical_date": "2026-01-05T02:30:00Z",
    "try_number": 2,
    "params": {
        "day": "mon", "n": 3, "neg": -2, "zero": 0, "ratio": 2.0, "half": 0.5,
        "pi": 3.14159, "big": 1e16, "huge": 1.5e300, "tiny": 1e-05,
        "milli": 0.001, "mid": 1234567.5, "flag": True, "off": False,
        "none": None, "empty": "", "pad": " \t padded \n", "quote": "it's",
        "dquote": 'say "hi"', "both": "it's \"x\"", "ctrl": "tab\tnl\ncr\rbs\\",
        "accent": "é", "sharp": "straße", "greek": "ΟΔΟΣ", "lig": "ﬁx",
        "dotted": "İ", "list": ["a", 1, 2.5, True, None, "it's", ["x"]],
        "strs": ["say \"hi\"", "both ' and \"", "tab\t", "é", "\u00a0", "\x7f"],
        "nums": [1e16, 0.1, 1e-05, -0.0, 100.0],
        "empty_list": [], "empty_map": {}, "nested": {"k": "v"},
        "deep": {"a": {"b": ["c", {"d": "e"}]}},
        "multi": {"b": 1, "a": 2}, "key with space": "s", "_x": "private",
        "0": "string zero", "keys": "K", "items": "I", "get": "G",
    },
}

CASES = [
    # text outside tags
    ("text", "plain text"),
    ("text", "{ not a tag } }} #} %}"),
    ("text", "a\nb"),
    ("text", "line\n"),
    ("text", "two\n\n"),
    ("text", "crlf\r\nline\r\n"),
    ("text", "cr\rline"),
    ("text", ""),
    ("text", "\n"),
    ("text", "{"),
    # comments
    ("comment", "a {# comment #} b"),
    ("comment", "a {# multi\nline #} b"),
    ("comment", "{# {{ ds }} #}x"),
    ("comment", "{#}#}y"),
    ("comment", "{##}"),
    ("comment", "a {# {% for %} #} b"),
    # whitespace control
    ("whitespace", "a   {{- ds -}}   b"),
    ("whitespace", "a \n\t {{- ds }} \n b"),
    ("whitespace", "a {{ ds -}} \n\n b"),
    ("whitespace", "a {#- c -#} b"),
    ("whitespace", "a {#- c #} b"),
    ("whitespace", "a {#-#} b"),
    ("whitespace", "{{-1}}"),
    ("whitespace", "{{ 1-}} x"),
    ("whitespace", "x {{- ds}}"),
    ("whitespace", "a\r\n{{- ds -}}\r\nb"),
    ("whitespace", "a \x1c{{- ds -}}\x1f b"),
    ("whitespace", "a\u00a0{{- ds -}}\u3000b"),
    ("whitespace", "{{- ds -}}\n"),
    # variables of the context
    ("variable", "{{ ds }} {{ ds_nodash }}"),
    ("variable", "{{ ts }}|{{ ts_nodash }}|{{ ts_nodash_with_tz }}"),
    ("variable", "{{ logical_date }}"),
    ("variable", "{{ run_id }}"),
    ("variable", "{{ds}}{{  ds  }}{{\tds\n}}"),
    ("variable", "{{ unknown }}"),
    ("variable", "{{ dag_id }}"),
    # attribute access
    ("attribute", "{{ dag.dag_id }}/{{ task.task_id }}/{{ task.dag_id }}"),
    ("attribute", "{{ ti.dag_id }} {{ ti.task_id }} {{ ti.run_id }} {{ ti.try_number }}"),
    ("attribute", "{{ task_instance.try_number }} {{ task_instance.run_id }}"),
    ("attribute", "{{ dag_run.dag_id }} {{ dag_run.run_id }} {{ dag_run.logical_date }}"),
    ("attribute", "{{ logical_date.year }}-{{ logical_date.month }}-{{ logical_date.day }}"),
    ("attribute", "{{ logical_date.hour }}:{{ logical_date.minute }}:{{ logical_date.second }}"),
    ("attribute", "{{ dag_run.logical_date.year }}"),
    ("attribute", "{{ params.day }} {{ params.n }} {{ params.nested.k }}"),
    ("attribute", "{{ params.deep.a.b }}"),
    ("attribute", "{{ params . day }}"),
    ("attribute", "{{ params.missing }}"),
    ("attribute", "{{ params.missing.deeper }}"),
    ("attribute", "{{ ds.year }}"),
    ("attribute", "{{ dag.no_such }}"),
    # item access
    ("item", "{{ params['day'] }} {{ params[\"n\"] }}"),
    ("item", "{{ params['key with space'] }}"),
    ("item", "{{ params['_x'] }} {{ params['keys'] }} {{ params['items'] }}"),
    ("item", "{{ params['0'] }}"),
    ("item", "{{ params.list[0] }} {{ params.list[1] }} {{ params.list[6][0] }}"),
    ("item", "{{ params['deep']['a'].b[1].d }}"),
    ("item", "{{ params.multi['a'] }}{{ params.multi.b }}"),
    ("item", "{{ logical_date['year'] }}"),
    ("item", "{{ dag['dag_id'] }} {{ ti['try_number'] }}"),
    ("item", "{{ params[ 'day' ] }}"),
    ("item", "{{ params.list[7] }}"),
    ("item", "{{ params.list['0'] }}"),
    ("item", "{{ params[0] }}"),
    ("item", "{{ params['missing'] }}"),
    # literals
    ("literal", "{{ 'single' }} {{ \"double\" }}"),
    ("literal", "{{ '}}' }}{{ \"{{\" }}{{ '#}' }}"),
    ("literal", "{{ 'it\\'s' }} {{ \"say \\\"hi\\\"\" }}"),
    ("literal", "{{ 'a\\nb\\tc\\rd' }}"),
    ("literal", "{{ 'back\\\\slash' }}"),
    ("literal", "{{ 'keep\\d\\.\\$' }}"),
    ("literal", "{{ '\\x41\\u00e9\\U0001F600\\101\\0' }}"),
    ("literal", "{{ '\\a\\b\\f\\v' }}"),
    ("literal", "{{ 'line\\\ncontinued' }}"),
    ("literal", "{{ 'raw\nnewline' }}"),
    ("literal", "{{ 'é ✓' }}"),
    ("literal", "{{ '' }}|{{ \"\" }}"),
    ("literal", "{{ 42 }} {{ 0 }} {{ 1_000 }} {{ 9223372036854775807 }}"),
    ("literal", "{{ 1.5 }} {{ 2.0 }} {{ 0.1 }} {{ 10.25 }} {{ 1_0.5 }}"),
    ("literal", "{{ 1e3 }} {{ 1E3 }} {{ 1.5e-3 }} {{ 2e+2 }} {{ 1e16 }} {{ 1e-5 }}"),
    ("literal", "{{ 1234567.5 }} {{ 123456789012345.6 }} {{ 0.0001 }} {{ 0.00001 }}"),
    ("literal", "{{ 1e308 }} {{ 5e-324 }} {{ 1.7976931348623157e308 }}"),
    ("literal", "{{ true }} {{ True }} {{ false }} {{ False }}"),
    ("literal", "{{ none }} {{ None }}"),
    ("literal", "{{ 01 }}"),
    ("literal", "{{ 1. }}"),
    ("literal", "{{ 'unterminated }}"),
    ("literal", "{{ TRUE }}"),
    # how values print
    ("print", "{{ params.ratio }} {{ params.half }} {{ params.pi }} {{ params.neg }} {{ params.zero }}"),
    ("print", "{{ params.big }} {{ params.huge }} {{ params.tiny }} {{ params.milli }} {{ params.mid }}"),
    ("print", "{{ params.flag }} {{ params.off }} {{ params.none }} [{{ params.empty }}]"),
    ("print", "{{ params.list }}"),
    ("print", "{{ params.strs }}"),
    ("print", "{{ params.nums }}"),
    ("print", "{{ params.empty_list }} {{ params.empty_map }}"),
    ("print", "{{ params.nested }}"),
    ("print", "{{ params.deep.a }}"),
    ("print", "{{ params.ctrl }}|{{ params.pad }}"),
    ("print", "{{ params.quote }} {{ params.dquote }} {{ params.both }}"),
    # filters
    ("filter/upper", "{{ params.day | upper }}{{ 'X' | upper }}"),
    ("filter/upper", "{{ params.sharp | upper }} {{ params.lig | upper }} {{ params.accent | upper }}"),
    ("filter/upper", "{{ params.list | upper }}"),
    ("filter/upper", "{{ params.flag | upper }} {{ params.none | upper }} {{ 1.5 | upper }}"),
    ("filter/upper", "{{ params.missing | upper }}"),
    ("filter/lower", "{{ 'MiXeD' | lower }} {{ params.greek | lower }} {{ params.dotted | lower }}"),
    ("filter/lower", "{{ 'ΣΑΣ Σ.' | lower }} {{ params.flag | lower }}"),
    ("filter/trim", "[{{ params.pad | trim }}]"),
    ("filter/trim", "[{{ '\x1c x \x1f\u00a0' | trim }}]"),
    ("filter/trim", "[{{ '   ' | trim }}]"),
    ("filter/string", "{{ params.n | string }}{{ params.none | string }}{{ 1.0 | string }}"),
    ("filter/string", "{{ params.n | string | upper }}{{ logical_date | string }}"),
    ("filter/replace", "{{ ds | replace('-', '') }} {{ ds | replace('-', '/', 1) }}"),
    ("filter/replace", "{{ 'aaa' | replace('a', 'b', 0) }} {{ 'aaa' | replace('a', 'b', params.neg) }} {{ 'aaa' | replace('a', 'b', 2) }}"),
    ("filter/replace", "{{ 'abc' | replace('', '-') }} {{ 'abc' | replace('', '-', 2) }}"),
    ("filter/replace", "{{ params.n | replace(3, 4) }} {{ 'x' | replace('x', none) }} {{ 'True' | replace(true, 1.5) }}"),
    ("filter/replace", "{{ ds | replace('-', '',) }}"),
    ("filter/replace", "{{ 'aaa' | replace('a', 'b', params.n) }}"),
    ("filter/replace", "{{ params.list | replace(\"'\", '') }}"),
    ("filter/default", "{{ params.missing | default('dflt') }} {{ params.missing | d('d') }}"),
    ("filter/default", "[{{ params.missing | default }}] [{{ params.missing | d() }}]"),
    ("filter/default", "{{ params.day | default('dflt') }}"),
    ("filter/default", "[{{ params.empty | default('dflt') }}] {{ params.empty | default('dflt', true) }}"),
    ("filter/default", "{{ params.none | default('x') }} {{ params.none | default('x', true) }}"),
    ("filter/default", "{{ params.zero | default('x', true) }} {{ params.off | d('x', 1) }} {{ params.empty_list | d('x', 'yes') }}"),
    ("filter/default", "{{ params.empty | default('x', false) }} [{{ params.empty | default('x', 0) }}]"),
    ("filter/default", "{{ unknown_name | default(ds) }} {{ unknown_name | default(params.n) }}"),
    ("filter/default", "{{ params.missing | default(params.missing2) }}"),
    ("filter/default", "{{ unknown_name.attr | default('x') }}"),
    ("filter/default", "{{ params.missing.deeper | default('x') }}"),
    ("filter/default", "{{ params.list[9] | default('x') }}"),
    ("filter/default", "{{ params.missing | default('x') | upper }} {{ params.missing | default(none) }}"),
    ("filter/default", "{{ params.missing | default(1) | default(2) }}"),
    ("filter/default", "{{ params.missing | upper | default('x') }}"),
    ("filter", "{{ ds|replace('-','')|upper() }}"),
    ("filter", "{{ params.day | upper | lower | string | trim }}"),
    ("filter", "{{ 'a' | upper() }}"),
]


def jinja_context():
    """The template variables, as Airflow would pass them."""
    class Date(datetime.datetime):
        def __str__(self):
            return self.isoformat()

    ld = Date.fromisoformat(CONTEXT["logical_date"].replace("Z", "+00:00"))
    dag_id, run_id, task_id = CONTEXT["dag_id"], CONTEXT["run_id"], CONTEXT["task_id"]
    ti = types.SimpleNamespace(dag_id=dag_id, task_id=task_id, run_id=run_id,
                               try_number=CONTEXT["try_number"])
    return {
        "dag": types.SimpleNamespace(dag_id=dag_id),
        "dag_run": types.SimpleNamespace(dag_id=dag_id, run_id=run_id, logical_date=ld),
        "ds": ld.strftime("%Y-%m-%d"),
        "ds_nodash": ld.strftime("%Y%m%d"),
        "logical_date": ld,
        "params": CONTEXT["params"],
        "run_id": run_id,
        "task": types.SimpleNamespace(task_id=task_id, dag_id=dag_id),
        "task_instance": ti,
        "ti": ti,
        "ts": ld.isoformat(),
        "ts_nodash": ld.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": ld.strftime("%Y%m%dT%H%M%S%z"),
    }


def render(env, ctx, construct, src):
    """One golden record: the output, or the Jinja2 error class and message."""
    case = {"construct": construct, "template": src}
    try:
        case["want"] = env.from_string(src).render(**ctx)
    except jinja2.TemplateError as e:
        case["error"] = f"{type(e).__name__}: {e}"
    return case


def main():
    env = SandboxedEnvironment(undefined=StrictUndefined, extensions=["jinja2.ext.do"], cache_size=0)
    ctx = jinja_context()
    golden = {
        "generator": f"gen.py with Jinja2 {jinja2.__version__}, Python {sys.version.split()[0]}",
        "context": CONTEXT,
        "cases": [render(env, ctx, c, s) for c, s in CASES],
    }
    json.dump(golden, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
