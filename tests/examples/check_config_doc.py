#!/usr/bin/env python3
"""Every key the config parser accepts is documented: the key lists are read
from the parser's own source (each `only(table, {"key", ...}, where)` call:
what the parser refuses as unknown-key is exactly what is not in them), and
every key must appear in docs/config.md as `key` (or a [table] heading) and
in the man page dpdk-lagd.toml(5) as *key*.
    check_config_doc.py CONFIG_SOURCES... -- CONFIG_MD MAN_SCD"""
import re
import sys

args = sys.argv[1:]
sep = args.index("--")
sources, (md, scd) = args[:sep], args[sep + 1:]

keys = {}
for src in sources:
    text = open(src).read()
    for m in re.finditer(r'\bonly\(\s*\*?\w+\s*,\s*\{([^}]*)\}\s*,\s*("[^"]*"|\w+)', text, re.S):
        where = m.group(2)
        for k in re.findall(r'"([A-Za-z_]+)"', m.group(1)):
            keys.setdefault(k, set()).add(where)
md_text, scd_text = open(md).read(), open(scd).read()
fail = 0
if len(keys) < 40:
    print("FAIL: only %d keys found in %s: has the parser's only() call changed?" % (len(keys), sources))
    fail = 1
for k in sorted(keys):
    in_md = re.search(r'(`%s`|\[%s\]|\[\[%s\]\]|\[lag\.%s\]|\.%s\]\])' % ((re.escape(k),) * 5), md_text)
    in_man = (re.search(r'\*(\[\[|\[)?(lag\.|lag\.macsec\.)?%s(\]|\]\])?\*' % re.escape(k), scd_text) or
              re.search(r'^# \[{1,2}(lag\.)?%s\]' % re.escape(k), scd_text, re.M))
    if not in_md:
        print("FAIL: key '%s' (%s) is not in %s" % (k, ", ".join(sorted(keys[k])), md)); fail = 1
    if not in_man:
        print("FAIL: key '%s' (%s) is not in %s" % (k, ", ".join(sorted(keys[k])), scd)); fail = 1
print("%d keys, %s" % (len(keys), "all documented" if not fail else "some undocumented"))
sys.exit(fail)
