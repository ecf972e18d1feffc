"""Expected outputs of jinja-cases.json, rendered by the real Jinja2 in transformers' environment.

transformers (chat_template_utils._compile_jinja_template) uses ImmutableSandboxedEnvironment(trim_blocks=True,
lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols]) with tojson = json.dumps(ensure_ascii=False,
indent=..., separators=..., sort_keys=...) and the globals raise_exception and strftime_now. Run:
    python3 make_jinja_cases.py   (jinja2 3.1.6 made the committed file)
"""
import json
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


class Generation(Extension):
    """transformers' AssistantTracker without the index bookkeeping: {% generation %} renders its body."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, loopcontrols])
env.filters["tojson"] = tojson

M = [{"role": "system", "content": "sys"}, {"role": "user", "content": " hi there "},
     {"role": "assistant", "content": "yo", "tool_calls": [{"name": "f", "arguments": {"a": 1, "b": "ü"}}]}]
V = {"messages": M, "d": {"x": 1, "y": [1, 2], "z": None}, "n": 7, "s": "a,b,,c", "f": 2.5, "empty": [],
     "t": True}

CASES = [
    ("whitespace_trim_and_lstrip", "A\n  {% if true %}\n  B\n  {% endif %}\nC", {}),
    ("whitespace_minus", "A  {%- if true -%}  B  {%- endif -%}  C {{- ' D ' -}} E", {}),
    ("whitespace_plus_keeps_indent", "A\n  {%+ if true %}B{% endif %}\n", {}),
    ("variable_tags_do_not_trim", "A\n{{ 'x' }}\nB", {}),
    ("comments_vanish", "A\n{# note #}\nB {#- x -#} C", {}),
    ("lstrip_with_text_after_tag_on_the_same_line", "A\n    {% if true %}text{% endif %}\n  {# c #}\nB", {}),
    ("one_trailing_newline_is_dropped", "A\n\n", {}),
    ("crlf_becomes_lf", "A\r\n{% if true %}\r\nB\r\n{% endif %}\r\nC", {}),
    ("if_elif_else", "{% for v in [0, 1, 2] %}{% if v == 0 %}zero{% elif v == 1 %}one{% else %}many{% endif %};{% endfor %}", {}),
    ("loop_variables", "{% for m in messages %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }}|{% endfor %}", V),
    ("loop_prev_next", "{% for x in [1,2,3] %}{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }};{% endfor %}", {}),
    ("loop_else", "{% for x in empty %}{{ x }}{% else %}nothing{% endfor %}", V),
    ("loop_filter_counts_filtered", "{% for m in messages if m.role != 'system' %}{{ loop.index }}{{ m.role }}{{ loop.length }} {% endfor %}", V),
    ("loop_unpack_items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", V),
    ("loop_over_dict_and_string", "{% for k in d %}{{ k }}{% endfor %}|{% for c in 'abc' %}{{ c }}.{% endfor %}", V),
    ("break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", {}),
    ("set_in_loop_does_not_leak", "{% set c = 0 %}{% for x in [1,2] %}{% set c = c + x %}{{ c }}{% endfor %}|{{ c }}", {}),
    ("namespace_assignment", "{% set ns = namespace(c=0, found=false) %}{% for x in [1,2,3] %}{% set ns.c = ns.c + x %}{% if x == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.c }} {{ ns.found }}", {}),
    ("set_in_if_leaks", "{% if true %}{% set a = 'in' %}{% endif %}{{ a }}", {}),
    ("set_block", "{% set b %}x{{ 1 + 1 }}y{% endset %}[{{ b }}]", {}),
    ("set_tuple", "{% set a, b = [1, 2] %}{{ b }}{{ a }}", {}),
    ("macro_with_defaults", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} {{ greet(name='C', punct='.') }}", {}),
    ("inline_if", "{{ 'y' if n > 5 else 'n' }}{{ 'y' if n > 50 else 'n' }}[{{ 'y' if false }}]", V),
    ("literals_print_like_python", "{{ [1, 'a', none, true, 2.5] }} {{ {'k': 'v', 'n': [1]} }} {{ none }} {{ true }} {{ (1, 2) }}", {}),
    ("attribute_and_subscript", "{{ messages[0].role }}{{ messages[0]['content'] }}{{ d['y'][1] }}{{ d.y[-1] }}{{ messages[-1].tool_calls[0].name }}", V),
    ("slicing", "{{ [1,2,3,4][::-1] }}{{ [1,2,3,4][1:] }}{{ [1,2,3,4][:-1] }}{{ [1,2,3,4][::2] }}{{ 'hello'[1:3] }}{{ 'hello'[::-1] }}{{ [1,2,3][5:] }}", {}),
    ("reverse_iteration_with_index", "{% for m in messages[::-1] %}{{ (messages|length - 1) - loop.index0 }}{{ m.role[0] }}{% endfor %}", V),
    ("in_and_not_in", "{{ 'a' in 'cat' }}{{ 'x' not in 'cat' }}{{ 2 in [1,2] }}{{ 'x' in d }}{{ 'q' not in d }}", V),
    ("tests", "{{ n is defined }}{{ nope is defined }}{{ nope is undefined }}{{ d.z is none }}{{ d.z is not none }}{{ s is string }}{{ d is mapping }}{{ empty is sequence }}{{ s is iterable }}{{ n is number }}{{ t is true }}{{ t is false }}{{ false is false }}{{ n is odd }}{{ n is even }}{{ n is divisibleby(7) }}{{ f is float }}{{ n is integer }}", V),
    ("and_or_return_operands", "{{ 0 or 'b' }}|{{ 'a' and 'b' }}|{{ '' and 'b' }}|{{ not empty }}|{{ none or [] }}", V),
    ("concat_and_arithmetic", "{{ 'a' ~ 1 ~ none ~ nope }}|{{ 1 + 2 * 3 }}|{{ 7 / 2 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ 7 % 3 }}|{{ -7 % 3 }}|{{ 2 ** 10 }}|{{ 1.5 + 1 }}|{{ -n }}|{{ 'ab' * 3 }}|{{ 10 / 4 }}", V),
    ("comparisons", "{{ 1 < 2 }}{{ 2 <= 2 }}{{ 3 > 4 }}{{ 'a' < 'b' }}{{ 1 == 1.0 }}{{ 'x' != 'x' }}{{ [1,2] == [1,2] }}{{ 1 < 2 < 3 }}", {}),
    ("filters_text", "{{ s|length }}|{{ '  x  '|trim }}|{{ 'ab'|upper }}|{{ 'AB'|lower }}|{{ 'hello world'|title }}|{{ 'hELLO'|capitalize }}|{{ 'aXbX'|replace('X', '-') }}|{{ 42|string ~ '!' }}|{{ '12'|int + 1 }}|{{ 'x'|int }}|{{ 3.9|int }}", V),
    ("filters_sequences", "{{ [3,1,2]|first }}{{ [3,1,2]|last }}{{ [1,2]|reverse|list }}{{ ['a','b']|join(', ') }}{{ messages|map(attribute='role')|join('/') }}{{ messages|selectattr('role', 'equalto', 'user')|list|length }}{{ messages|rejectattr('role', 'equalto', 'user')|map(attribute='content')|list }}{{ d|items|list }}", V),
    ("filters_default", "{{ nope|default('dflt') }}|{{ ''|default('dflt') }}|{{ ''|default('dflt', true) }}|{{ d.z|default('dflt') }}|{{ n|d(0) }}", V),
    ("tojson", "{{ messages[2].tool_calls[0]|tojson }}|{{ d|tojson }}|{{ 'q\"\\n'|tojson }}|{{ [1, 2.5, true, none]|tojson }}|{{ d|tojson(indent=2) }}", V),
    ("string_methods", "{{ s.split(',') }}{{ ' a  b '.split() }}{{ s.split(',', 1) }}{{ s.rsplit(',', 1) }}{{ ' x '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ '\\n\\nhi'.lstrip('\\n') }}|{{ 'hi\\n'.rstrip() }}|{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith('bc') }}{{ 'abc'.startswith(('x', 'a')) }}{{ 'aBc'.upper() }}{{ 'aBc'.lower() }}{{ 'a-b'.replace('-', '+') }}{{ 'ab cd'.title() }}{{ 'abc'.find('c') }}{{ 'abc'.find('z') }}", V),
    ("qwen3_think_split", "{% set c = '<think>\\nr\\n</think>\\n\\nans' %}[{{ c.split('</think>')[-1].lstrip('\\n') }}][{{ c.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}]", {}),
    ("dict_methods", "{{ d.get('x') }}{{ d.get('nope') }}{{ d.get('nope', 5) }}{{ d.keys()|list }}{{ d.values()|list|length }}", V),
    ("undefined_in_expressions", "{{ 'x' in nope }}|{{ nope == nope }}|{{ nope is none }}|{{ nope ~ 'a' }}|{{ nope or 'd' }}|{{ nope|string }}|{{ nope|trim }}|{% for a in nope %}x{% else %}empty{% endfor %}|{{ [] | first }}", {}),
    ("select_and_map_over_none_are_empty", "{{ none | selectattr('a') | list }}{{ none | map(attribute='a') | list }}{{ none | reject | list }}", {}),
    ("safe_markup_escapes_what_is_added_to_it", "{{ 'a'|safe ~ '<&>' }}|{{ '<' + 'a'|safe }}|{{ ('<'|safe + '<') + '<' }}|{{ '<'|escape }}|{{ '<'|e + '<'|safe }}|{{ ('x'|safe).startswith('x') }}|{{ ('x'|safe + '<')|length }}|{{ ['<'|safe, '<']|join('&') }}|{{ '<b>'|safe|upper }}|{{ ('<'|safe) == '<' }}|{{ '%s<'|safe % '<' }}|{{ 'q'|safe + {'k': '\"'}|tojson }}", {}),
    ("undefined_prints_empty_and_is_falsy", "[{{ nope }}][{{ messages[0].nope }}]{% if not nope %}falsy{% endif %}{% for x in nope %}never{% endfor %}[{{ nope|length }}]", V),
    ("string_escapes_and_quotes", "{{ 'it\\'s' }} {{ \"say \\\"hi\\\"\" }} {{ 'tab\\there' }} {{ 'a' 'b' }}", {}),
    ("numbers_print_like_python", "{{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e-5 }} {{ 3 / 3 }} {{ 2.5 * 2 }} {{ 1e20 }}", {}),
    ("raw_block", "{% raw %}{{ not evaluated }}{% endraw %}", {}),
    ("nested_data_access_with_is_string", "{% for tc in messages[2].tool_calls %}{% if tc.arguments is string %}{{ tc.arguments }}{% else %}{{ tc.arguments|tojson }}{% endif %}{% endfor %}", V),
    ("loop_cycle", "{% for x in [1,2,3] %}{{ loop.cycle('a', 'b') }}{% endfor %}", {}),
    ("generation_block_renders_body", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% endif %}{% endfor %}", V),
]

out = []
for name, src, vars_ in CASES:
    out.append({"name": name, "template": src, "vars": vars_, "expected": env.from_string(src).render(**vars_)})
with open("jinja-cases.json", "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, indent=1)
    f.write("\n")
print(len(out), "cases")
