#include "cli/cli.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <optional>
#include <set>

namespace lag::cli {

namespace {

constexpr command_spec specs[] = {
    {command_id::create_lag,
     "create lag <name> speed <speed:1G|10G|100G> [members <ports:list>] [min-links <n:uint>] [access <access>]",
     "create a LAG, moving the listed ports into it (access: its access port)"},
    {command_id::delete_lag, "delete lag <name>", "delete a LAG; its ports become standalone"},
    {command_id::add_member, "add member <port> lag <name>",
     "add a port to a LAG (moving it from another LAG)"},
    {command_id::remove_member, "remove member <port> lag <name>", "remove a port from a LAG"},
    {command_id::set_min_links, "set lag <name> min-links <n:uint>",
     "the LAG is down while fewer members are operational"},
    {command_id::set_hash, "set lag <name> hash <policy:l2|l23|l34|sym-l34>",
     "flow hash policy of a LAG"},
    {command_id::set_mtu, "set lag <name> mtu <n:uint>",
     "the largest IP packet a LAG carries (its members run at it plus what MACsec adds)"},
    {command_id::set_macsec,
     "set lag <name> macsec ckn <ckn:hex> cak-file <path> "
     "[cipher <cipher:gcm-aes-128|gcm-aes-256|gcm-aes-xpn-128|gcm-aes-xpn-256>] "
     "[encryption <encryption:no_encrypt|should_encrypt|must_encrypt>]",
     "MKA: a new key (CKN, CAK read from a file) for the LAG; every member rekeys"},
    {command_id::unset_macsec, "unset lag <name> macsec", "MKA: MACsec off on every member (clear traffic)"},
    {command_id::rekey_macsec, "set lag <name> macsec rekey",
     "MKA: the key server distributes a new SAK now (traffic keeps flowing)"},
    {command_id::set_rekey_interval, "set lag <name> macsec rekey-interval <seconds:uint>",
     "MKA: the key server distributes a new SAK every N seconds (0: off)"},
    {command_id::add_macsec_key, "add lag <name> macsec key ckn <ckn:hex> cak-file <path> [start <time>]",
     "MKA: a key for the LAG's chain, in effect from TIME (RFC 3339, or now); traffic moves to it once it "
     "secures with the peer"},
    {command_id::remove_macsec_key, "remove lag <name> macsec key ckn <ckn:hex>",
     "MKA: a key leaves the LAG's chain (not the last one in effect)"},
    {command_id::set_macsec_fallback, "set lag <name> macsec fallback ckn <ckn:hex> cak-file <path>",
     "MKA: the fallback key, used only while no key of the chain secures"},
    {command_id::unset_macsec_fallback, "unset lag <name> macsec fallback", "MKA: no fallback key"},
    {command_id::set_lacp_rate, "set lacp lag <name> rate <rate:fast|slow>",
     "LACP periodic rate of a LAG's members"},
    {command_id::show_lag, "show lag [<name>] [json]", "LAGs, their state and members"},
    {command_id::show_lacp, "show lacp [<port>] [json]", "LACP state of members"},
    {command_id::show_macsec, "show macsec [<port>] [json]", "MACsec state of members"},
    {command_id::show_stats, "show stats [<port>] [xstats] [prometheus] [json]",
     "counters (xstats: every counter under its ethdev-style xstats name; prometheus: every LAG's and "
     "port's metrics in the Prometheus text format)"},
    {command_id::clear_stats, "clear stats", "reset counters"},
    {command_id::show_config, "show config", "the configuration as it would be saved"},
    {command_id::save_config, "save config", "write the configuration file (atomically)"},
    {command_id::help, "help [<topic>]", "list commands"},
    {command_id::quit, "quit", "leave the prompt"},
};

enum class tok_kind : uint8_t { literal, placeholder };
enum class value_type : uint8_t { word, uint, list, hex, choice };

struct tok {
    tok_kind kind;
    std::string text; // literal word or placeholder name
    value_type type = value_type::word;
    std::vector<std::string> choices;
};

struct group {
    std::vector<tok> toks; // first is the keyword (or a lone placeholder)
};

struct grammar {
    const command_spec* spec;
    std::vector<tok> required;
    std::vector<group> optional;
};

tok parse_tok(std::string_view w) {
    if (w.size() > 2 && w.front() == '<' && w.back() == '>') {
        std::string_view inner = w.substr(1, w.size() - 2);
        tok t{tok_kind::placeholder, std::string(inner.substr(0, inner.find(':')))};
        if (auto c = inner.find(':'); c != std::string_view::npos) {
            std::string_view ty = inner.substr(c + 1);
            if (ty == "uint")
                t.type = value_type::uint;
            else if (ty == "list")
                t.type = value_type::list;
            else if (ty == "hex")
                t.type = value_type::hex;
            else {
                t.type = value_type::choice;
                size_t start = 0;
                while (start <= ty.size()) {
                    size_t bar = ty.find('|', start);
                    if (bar == std::string_view::npos)
                        bar = ty.size();
                    t.choices.emplace_back(ty.substr(start, bar - start));
                    start = bar + 1;
                }
            }
        }
        return t;
    }
    return tok{tok_kind::literal, std::string(w)};
}

grammar compile(const command_spec& s) {
    grammar g{&s, {}, {}};
    std::vector<std::string> words;
    std::string cur;
    for (char c : s.syntax) {
        if (c == ' ') {
            if (!cur.empty())
                words.push_back(cur);
            cur.clear();
        } else if (c == '[' || c == ']') {
            if (!cur.empty())
                words.push_back(cur);
            cur.clear();
            words.emplace_back(1, c);
        } else {
            cur += c;
        }
    }
    if (!cur.empty())
        words.push_back(cur);
    bool in_group = false;
    for (const auto& w : words) {
        if (w == "[") {
            in_group = true;
            g.optional.emplace_back();
        } else if (w == "]") {
            in_group = false;
        } else if (in_group) {
            g.optional.back().toks.push_back(parse_tok(w));
        } else {
            g.required.push_back(parse_tok(w));
        }
    }
    return g;
}

const std::vector<grammar>& grammars() {
    static const std::vector<grammar> gs = [] {
        std::vector<grammar> v;
        for (const auto& s : specs)
            v.push_back(compile(s));
        return v;
    }();
    return gs;
}

// Checks a word against a placeholder; returns an error message or nullopt.
std::optional<std::string> check_value(const tok& t, const std::string& w) {
    switch (t.type) {
    case value_type::word: return std::nullopt;
    case value_type::uint:
        if (w.empty() || w.size() > 9 ||
            !std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return fmt::format("'{}' is not a number for <{}>", w, t.text);
        return std::nullopt;
    case value_type::hex:
        if (w.empty() || !std::all_of(w.begin(), w.end(), [](char c) {
                return std::isxdigit(static_cast<unsigned char>(c)) != 0;
            }))
            return fmt::format("'{}' is not hex digits for <{}>", w, t.text);
        return std::nullopt;
    case value_type::list:
        if (w.empty() || w.front() == ',' || w.back() == ',' || w.find(",,") != std::string::npos)
            return fmt::format("'{}' is not a comma-separated list for <{}>", w, t.text);
        return std::nullopt;
    case value_type::choice:
        if (std::find(t.choices.begin(), t.choices.end(), w) == t.choices.end())
            return fmt::format("'{}' is not one of {} for <{}>", w, fmt::join(t.choices, "|"),
                               t.text);
        return std::nullopt;
    }
    return std::nullopt;
}

struct attempt {
    size_t progress = 0; // words matched before the failure
    std::optional<std::string> failure;
    parsed_command cmd;
};

bool is_group_keyword(const grammar& g, const std::string& w) {
    for (const auto& grp : g.optional)
        if (grp.toks.front().kind == tok_kind::literal && grp.toks.front().text == w)
            return true;
    return false;
}

attempt try_match(const grammar& g, const std::vector<std::string>& words) {
    attempt a;
    a.cmd.id = g.spec->id;
    size_t i = 0;
    for (const auto& t : g.required) {
        if (i >= words.size()) {
            a.failure = t.kind == tok_kind::literal ? fmt::format("'{}' expected", t.text)
                                                    : fmt::format("<{}> missing", t.text);
            return a;
        }
        if (t.kind == tok_kind::literal) {
            if (words[i] != t.text) {
                a.failure = fmt::format("'{}' expected, not '{}'", t.text, words[i]);
                return a;
            }
        } else {
            if (auto e = check_value(t, words[i])) {
                a.failure = *e;
                return a;
            }
            a.cmd.args[t.text] = words[i];
        }
        a.progress = ++i;
    }
    std::vector<bool> used(g.optional.size(), false);
    while (i < words.size()) {
        bool matched = false;
        for (size_t gi = 0; gi < g.optional.size() && !matched; ++gi) {
            if (used[gi])
                continue;
            const auto& grp = g.optional[gi];
            const tok& head = grp.toks.front();
            if (head.kind == tok_kind::literal) {
                if (words[i] != head.text)
                    continue;
                if (head.text == "json")
                    a.cmd.json = true;
                else if (grp.toks.size() == 1)
                    a.cmd.args[head.text] = head.text; // a lone keyword: has(keyword)
            } else {
                // A lone optional placeholder takes a word that is not a
                // keyword of this command.
                if (is_group_keyword(g, words[i]))
                    continue;
                if (auto e = check_value(head, words[i])) {
                    a.failure = *e;
                    return a;
                }
                a.cmd.args[head.text] = words[i];
            }
            used[gi] = true;
            matched = true;
            a.progress = ++i;
            for (size_t k = 1; k < grp.toks.size(); ++k) {
                const tok& t = grp.toks[k];
                if (i >= words.size()) {
                    a.failure = fmt::format("<{}> missing after '{}'", t.text, head.text);
                    return a;
                }
                if (auto e = check_value(t, words[i])) {
                    a.failure = *e;
                    return a;
                }
                a.cmd.args[t.text] = words[i];
                a.progress = ++i;
            }
        }
        if (!matched) {
            a.failure = fmt::format("unexpected '{}'", words[i]);
            return a;
        }
    }
    return a;
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1,
                               prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

} // namespace

std::span<const command_spec> commands() { return specs; }

const command_spec& spec(command_id id) {
    for (const auto& s : specs)
        if (s.id == id)
            return s;
    return specs[0];
}

std::vector<std::string> parsed_command::list(std::string_view key) const {
    std::vector<std::string> out;
    std::string_view v = get(key);
    size_t start = 0;
    while (start < v.size()) {
        size_t c = v.find(',', start);
        if (c == std::string_view::npos)
            c = v.size();
        out.emplace_back(v.substr(start, c - start));
        start = c + 1;
    }
    return out;
}

std::vector<std::string> tokenize(std::string_view line) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false, have = false;
    for (char c : line) {
        if (quoted) {
            if (c == '"')
                quoted = false;
            else
                cur += c;
        } else if (c == '"') {
            quoted = true;
            have = true;
        } else if (c == '#') {
            break;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            if (have)
                out.push_back(cur);
            cur.clear();
            have = false;
        } else {
            cur += c;
            have = true;
        }
    }
    if (have)
        out.push_back(cur);
    return out;
}

result<parsed_command> parse_line(std::string_view line) {
    auto words = tokenize(line);
    if (words.empty())
        return make_error("empty", "empty line");
    std::vector<attempt> attempts;
    for (const auto& g : grammars()) {
        auto a = try_match(g, words);
        if (!a.failure)
            return std::move(a.cmd);
        attempts.push_back(std::move(a));
    }
    size_t best = 0;
    for (const auto& a : attempts)
        best = std::max(best, a.progress);
    if (best == 0) {
        // Nothing matched even the first word: suggest the nearest verb.
        std::string nearest;
        size_t dist = SIZE_MAX;
        for (const auto& g : grammars()) {
            const auto& w = g.required.front().text;
            size_t d = edit_distance(words[0], w);
            if (d < dist) {
                dist = d;
                nearest = w;
            }
        }
        std::string msg = fmt::format("unknown command '{}'", words[0]);
        if (dist <= 2) {
            msg += fmt::format("; did you mean '{}'? usage:", nearest);
            for (const auto& g : grammars())
                if (g.required.front().text == nearest)
                    msg += fmt::format("\n  {}", g.spec->syntax);
        } else {
            msg += "; type 'help' for the list";
        }
        return make_error("syntax", msg);
    }
    std::string msg;
    std::string usage;
    for (const auto& a : attempts) {
        if (a.progress != best)
            continue;
        if (msg.empty())
            msg = *a.failure;
        usage += fmt::format("\n  {}", spec(a.cmd.id).syntax);
    }
    return make_error("syntax", msg + "; usage:" + usage);
}

std::vector<std::string> complete(std::string_view line) {
    auto words = tokenize(line);
    std::string partial;
    bool ends_blank = line.empty() || line.back() == ' ' || line.back() == '\t';
    if (!ends_blank && !words.empty()) {
        partial = words.back();
        words.pop_back();
    }
    std::set<std::string> out;
    auto offer = [&](const tok& t) {
        if (t.kind == tok_kind::literal) {
            if (t.text.starts_with(partial))
                out.insert(t.text);
        } else if (t.type == value_type::choice) {
            for (const auto& c : t.choices)
                if (c.starts_with(partial))
                    out.insert(c);
        }
    };
    for (const auto& g : grammars()) {
        // Words typed so far must match the required prefix.
        size_t i = 0;
        bool ok = true;
        for (; i < words.size() && i < g.required.size(); ++i) {
            const tok& t = g.required[i];
            if (t.kind == tok_kind::literal ? words[i] != t.text
                                            : check_value(t, words[i]).has_value()) {
                ok = false;
                break;
            }
        }
        if (!ok)
            continue;
        if (i < g.required.size()) {
            offer(g.required[i]);
            continue;
        }
        // In the optional part: find where we are.
        std::vector<bool> used(g.optional.size(), false);
        const tok* pending = nullptr;
        size_t j = i;
        while (j < words.size()) {
            pending = nullptr;
            bool matched = false;
            for (size_t gi = 0; gi < g.optional.size() && !matched; ++gi) {
                const auto& grp = g.optional[gi];
                if (used[gi] || grp.toks.front().kind != tok_kind::literal ||
                    grp.toks.front().text != words[j])
                    continue;
                used[gi] = matched = true;
                size_t k = 1;
                ++j;
                for (; k < grp.toks.size() && j < words.size(); ++k, ++j) {
                }
                if (k < grp.toks.size())
                    pending = &grp.toks[k];
            }
            if (!matched)
                ++j; // a lone placeholder value, or junk: skip it
        }
        if (pending) {
            offer(*pending);
            continue;
        }
        for (size_t gi = 0; gi < g.optional.size(); ++gi)
            if (!used[gi])
                offer(g.optional[gi].toks.front());
    }
    return {out.begin(), out.end()};
}

std::string help_text(std::string_view topic) {
    std::string s;
    for (const auto& c : specs)
        if (topic.empty() || c.syntax.starts_with(topic))
            s += fmt::format("{}\n    {}\n", c.syntax, c.help);
    if (s.empty())
        s = fmt::format("no command starts with '{}'; type 'help' for the list\n", topic);
    return s;
}

} // namespace lag::cli
