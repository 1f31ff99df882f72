#!/usr/bin/env python3
"""Every option and command is documented: dpdk-lagd's and lagctl's options
(read from their parsers' `a == "--opt"` tests) must be in their man pages,
and every lib/cli command (read from its command table) in lagctl(8) and
docs/cli.md.
    check_cli_doc.py LAGD_MAIN LAGD_MAN LAGCTL_MAIN LAGCTL_MAN CLI_CPP CLI_MD"""
import re
import sys

lagd_main, lagd_man, ctl_main, ctl_man, cli_cpp, cli_md = sys.argv[1:7]
fail = 0


def options(src):
    return sorted(set(re.findall(r'\ba == "(-[-a-z]+)"', open(src).read())))


def strip_markup(text):
    return re.sub(r'[*_`\\]', '', text)


for src, man in ((lagd_main, lagd_man), (ctl_main, ctl_man)):
    opts = options(src)
    # An entry of the OPTIONS list: a line that starts with an option
    # ("*--config*, *-c* _FILE_"), not the synopsis.
    text = "\n".join(l for l in open(man).read().splitlines() if l.startswith("*-"))
    if len(opts) < 3:
        print("FAIL: only %d options found in %s" % (len(opts), src)); fail = 1
    for o in opts:
        if "*%s*" % o not in text:
            print("FAIL: option %s (%s) has no entry in %s" % (o, src, man)); fail = 1
    print("%s: %d options" % (src, len(opts)))

specs = re.findall(r'command_id::\w+,\s*"([^"]+)"', open(cli_cpp).read())
man_text, md_text = strip_markup(open(ctl_man).read()), strip_markup(open(cli_md).read())
if len(specs) < 15:
    print("FAIL: only %d commands found in %s" % (len(specs), cli_cpp)); fail = 1
for syntax in specs:
    # The command's words up to its first placeholder or option, and every
    # literal word of an optional group (a keyword such as "prometheus").
    head = re.split(r'\s[<\[]', syntax)[0]
    words = [head] + re.findall(r'\[([a-z][a-z-]*)[\] ]', syntax)
    for w in words:
        for doc, text in ((ctl_man, man_text), (cli_md, md_text)):
            if w not in text:
                print("FAIL: '%s' of command '%s' is not in %s" % (w, syntax, doc)); fail = 1
print("%d commands" % len(specs))
sys.exit(fail)
