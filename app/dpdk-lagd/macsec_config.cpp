#include "macsec_config.hpp"
#include "toml_reader.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

namespace lag::lagd {

namespace {

struct rd : toml_reader {
    result<bool> boolean(const toml::table& t, std::string_view key, std::string_view where, bool def) const {
        const toml::node* n = t.get(key);
        if (n == nullptr)
            return def;
        if (!n->is_boolean())
            return fail("type", line_of(*n), fmt::format("'{}' in {} must be true or false", key, where));
        return *n->value<bool>();
    }
    unsigned line_or(const toml::table& t, std::string_view key, unsigned def) const {
        const toml::node* n = t.get(key);
        return n != nullptr ? line_of(*n) : def;
    }
};

int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

// Hex digits (':' '-' ' ' ignored) into out; false unless exactly out.size() bytes.
bool parse_hex(std::string_view s, std::span<uint8_t> out, size_t& n) {
    n = 0;
    int hi = -1;
    for (char c : s) {
        if (c == ':' || c == '-' || c == ' ' || c == '\t')
            continue;
        const int v = hexval(c);
        if (v < 0 || n >= out.size())
            return false;
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = static_cast<uint8_t>(hi << 4 | v);
            hi = -1;
        }
    }
    return hi < 0;
}

result<macsec::sci_t> parse_sci(const rd& r, const toml::table& t, std::string_view key, std::string_view where,
                                unsigned line) {
    auto s = r.string(t, key, where, true, line);
    if (!s)
        return s.err();
    std::array<uint8_t, 8> b{};
    size_t n = 0;
    if (!parse_hex(*s, b, n) || n != 8)
        return r.fail("value", r.line_or(t, key, line),
                      fmt::format("'{}' in {} must be 16 hex digits (MAC, then port)", key, where));
    macsec::sci_t v = 0;
    for (uint8_t x : b)
        v = v << 8 | x;
    return v;
}

result<macsec_sa_config> parse_sa(const rd& r, const toml::table& t, std::string_view dir, std::string_view where,
                                  unsigned line, cipher_suite suite) {
    const std::string p(dir);
    macsec_sa_config sa;
    auto key = r.string(t, p + "_key", where, true, line);
    if (!key)
        return key.err();
    sa.key = *key;
    auto an = r.integer(t, p + "_an", where, 0, 0, 3);
    if (!an)
        return an.err();
    sa.an = static_cast<uint8_t>(*an);
    const int64_t max_pn = is_xpn(suite) ? INT64_MAX : int64_t(0xFFFFFFFF);
    auto pn = r.integer(t, p + "_pn", where, 1, 1, max_pn);
    if (!pn)
        return pn.err();
    sa.pn = static_cast<uint64_t>(*pn);
    if (is_xpn(suite)) {
        auto ssci = r.integer(t, p + "_ssci", where, -1, 0, 0xFFFFFFFF);
        if (!ssci)
            return ssci.err();
        if (*ssci < 0)
            return r.fail("missing-key", line, fmt::format("{} needs '{}_ssci' ({} is an XPN suite)", where, p,
                                                           to_string(suite)));
        sa.ssci = static_cast<uint32_t>(*ssci);
        auto salt = r.string(t, p + "_salt", where, false, line);
        if (!salt)
            return salt.err();
        if (salt->empty())
            return r.fail("missing-key", line, fmt::format("{} needs '{}_salt' ({} is an XPN suite)", where, p,
                                                           to_string(suite)));
        size_t n = 0;
        if (!parse_hex(*salt, sa.salt, n) || n != 12)
            return r.fail("value", r.line_or(t, p + "_salt", line),
                          fmt::format("'{}_salt' in {} must be 24 hex digits", p, where));
    } else {
        for (const char* k : {"_ssci", "_salt"})
            if (t.get(p + k) != nullptr)
                return r.fail("value", r.line_or(t, p + k, line),
                              fmt::format("'{}{}' in {}: only the XPN suites have an SSCI and salt", p, k, where));
    }
    return sa;
}

} // namespace

macsec::secy_config macsec_config::secy(const macsec_member_config& m) const {
    macsec::secy_config c;
    c.sci = m.sci;
    c.suite = suite;
    c.confidentiality = confidentiality;
    c.confidentiality_offset = offset;
    c.include_sci = include_sci;
    c.validate = validate;
    c.replay_protect = replay_protect;
    c.replay_window = replay_window;
    c.protect_slow_protocols = lacp == macsec_lacp::protected_;
    return c;
}

std::string_view to_string(macsec_lacp l) noexcept { return l == macsec_lacp::clear ? "clear" : "protected"; }

std::string_view to_string(mka_encryption e) noexcept {
    switch (e) {
    case mka_encryption::no_encrypt: return "no_encrypt";
    case mka_encryption::should_encrypt: return "should_encrypt";
    case mka_encryption::must_encrypt: return "must_encrypt";
    }
    return "?";
}

std::optional<mka_encryption> parse_mka_encryption(std::string_view s) noexcept {
    for (auto e : {mka_encryption::no_encrypt, mka_encryption::should_encrypt, mka_encryption::must_encrypt})
        if (s == to_string(e))
            return e;
    return std::nullopt;
}

namespace {

constexpr std::string_view where = "[lag.macsec]";


result<cipher_suite> read_cipher(const rd& r, const toml::table& t, unsigned line, bool required) {
    auto cipher = r.string(t, "cipher", where, required, line, "gcm-aes-128");
    if (!cipher)
        return cipher.err();
    auto suite = parse_cipher_suite(*cipher);
    if (!suite)
        return r.fail("value", r.line_or(t, "cipher", line),
                      fmt::format("{}: cipher '{}' is not gcm-aes-128, gcm-aes-256, gcm-aes-xpn-128 or "
                                  "gcm-aes-xpn-256", where, *cipher));
    return *suite;
}

result<uint8_t> read_offset(const rd& r, const toml::table& t, unsigned line) {
    auto off = r.integer(t, "confidentiality_offset", where, 0, 0, 50);
    if (!off)
        return off.err();
    if (*off != 0 && *off != 30 && *off != 50)
        return r.fail("value", r.line_or(t, "confidentiality_offset", line),
                      fmt::format("{}: confidentiality_offset {} is not 0, 30 or 50", where, *off));
    return static_cast<uint8_t>(*off);
}

// `lacp`: where LACPDUs go, protected on the SecY's controlled port or clear
// beside it.
result<macsec_lacp> read_lacp(const rd& r, const toml::table& t, unsigned line) {
    auto v = r.string(t, "lacp", where, false, line, "protected");
    if (!v)
        return v.err();
    if (*v == "protected")
        return macsec_lacp::protected_;
    if (*v == "clear")
        return macsec_lacp::clear;
    return r.fail("value", r.line_or(t, "lacp", line),
                  fmt::format("{}: lacp '{}' is not \"protected\" or \"clear\"", where, *v));
}

result<uint32_t> read_window(const rd& r, const toml::table& t, cipher_suite suite) {
    auto win = r.integer(t, "replay_window", where, 0, 0, is_xpn(suite) ? (1 << 30) : 0xFFFFFFFF);
    if (!win)
        return win.err();
    return static_cast<uint32_t>(*win);
}

} // namespace

std::string beside(const std::string& source, const std::string& file) {
    if (file.empty() || file.front() == '/')
        return file;
    const auto slash = source.rfind('/');
    return slash == std::string::npos ? file : source.substr(0, slash + 1) + file;
}

std::string pn_state_path(const macsec_config& m, const std::string& lag) {
    return !m.pn_state.empty() ? m.pn_state : fmt::format("{}.{}.pn", m.source, lag);
}

std::optional<std::vector<uint8_t>> parse_ckn(std::string_view hex) {
    std::array<uint8_t, 32> b{};
    size_t n = 0;
    if (!parse_hex(hex, b, n) || n == 0)
        return std::nullopt;
    return std::vector<uint8_t>(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}

namespace {

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<int64_t> unix_of(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned sec,
                               int64_t offset_s) {
    static constexpr unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
        h > 23 || mi > 59 || sec > 60)
        return std::nullopt;
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + std::min(sec, 59u) - offset_s;
}

} // namespace

std::optional<int64_t> parse_rfc3339(std::string_view s) {
    auto num = [&](size_t at, size_t n) -> std::optional<unsigned> {
        if (at + n > s.size())
            return std::nullopt;
        unsigned v = 0;
        for (size_t i = at; i < at + n; ++i) {
            if (s[i] < '0' || s[i] > '9')
                return std::nullopt;
            v = v * 10 + static_cast<unsigned>(s[i] - '0');
        }
        return v;
    };
    // YYYY-MM-DDTHH:MM:SS
    if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return std::nullopt;
    auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), sec = num(17, 2);
    if (!y || !mo || !d || !h || !mi || !sec)
        return std::nullopt;
    size_t i = 19;
    if (i < s.size() && s[i] == '.') {
        ++i;
        const size_t from = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9')
            ++i;
        if (i == from)
            return std::nullopt;
    }
    int64_t off = 0;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        auto oh = num(i + 1, 2), om = num(i + 4, 2);
        if (!oh || !om || i + 3 >= s.size() || s[i + 3] != ':' || *oh > 23 || *om > 59)
            return std::nullopt;
        off = (s[i] == '-' ? -1 : 1) * static_cast<int64_t>(*oh * 3600 + *om * 60);
        i += 6;
    } else {
        return std::nullopt; // RFC 3339 needs the offset
    }
    if (i != s.size())
        return std::nullopt;
    return unix_of(*y, *mo, *d, *h, *mi, *sec, off);
}

std::string format_rfc3339(int64_t t) {
    const int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    const int64_t secs = t - days * 86400;
    // civil_from_days
    const int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, secs / 3600, secs / 60 % 60, secs % 60);
}

namespace {

// A CKN and CAK file pair: `ckn_key`/`file_key` in table `t` (`where` for
// errors). Both absent: nullopt; one without the other is refused.
result<std::optional<mka_key_config>> read_key_pair(const rd& r, const toml::table& t, const std::string& source,
                                                    std::string_view ckn_key, std::string_view file_key,
                                                    std::string_view where, unsigned line, bool required) {
    const bool has_ckn = t.get(ckn_key) != nullptr, has_file = t.get(file_key) != nullptr;
    if (!has_ckn && !has_file && !required)
        return std::optional<mka_key_config>{};
    if (has_ckn != has_file || required) {
        if (!has_ckn)
            return r.fail("missing-key", line, fmt::format("{} needs '{}'", where, ckn_key));
        if (!has_file)
            return r.fail("missing-key", line, fmt::format("{} needs '{}'", where, file_key));
    }
    mka_key_config k;
    k.line = line;
    auto ckn = r.string(t, ckn_key, where, true, line);
    if (!ckn)
        return ckn.err();
    auto name = parse_ckn(*ckn);
    if (!name)
        return r.fail("value", r.line_or(t, ckn_key, line),
                      fmt::format("{}: '{}' must be 1 to 32 bytes of hex (2 to 64 digits)", where, ckn_key));
    k.ckn = std::move(*name);
    auto cf = r.string(t, file_key, where, true, line);
    if (!cf)
        return cf.err();
    if (cf->empty())
        return r.fail("value", r.line_or(t, file_key, line), fmt::format("{}: '{}' is empty", where, file_key));
    k.cak_file = beside(source, *cf);
    return std::optional<mka_key_config>{std::move(k)};
}

result<std::optional<int64_t>> read_start(const rd& r, const toml::table& t, std::string_view where) {
    const toml::node* n = t.get("start");
    if (n == nullptr)
        return std::optional<int64_t>{};
    if (const auto* dt = n->as_date_time()) {
        const auto& v = dt->get();
        if (!v.offset)
            return r.fail("value", rd::line_of(*n),
                          fmt::format("{}: 'start' needs a time offset (e.g. Z for UTC)", where));
        auto u = unix_of(v.date.year, v.date.month, v.date.day, v.time.hour, v.time.minute, v.time.second,
                         static_cast<int64_t>(v.offset->minutes) * 60);
        if (!u)
            return r.fail("value", rd::line_of(*n), fmt::format("{}: 'start' is not a date from 1970 on", where));
        return std::optional<int64_t>{*u};
    }
    if (!n->is_string())
        return r.fail("type", rd::line_of(*n),
                      fmt::format("'start' in {} must be an RFC 3339 date-time or \"now\"", where));
    const std::string s = *n->value<std::string>();
    if (s == "now")
        return std::optional<int64_t>{};
    auto u = parse_rfc3339(s);
    if (!u)
        return r.fail("value", rd::line_of(*n),
                      fmt::format("{}: start '{}' is not an RFC 3339 date-time (2026-12-05T02:00:00Z) or \"now\"",
                                  where, s));
    return std::optional<int64_t>{*u};
}

result<void> read_chain(const rd& r, const toml::table& t, const std::string& source, macsec_config& c,
                        unsigned line) {
    auto first = read_key_pair(r, t, source, "ckn", "cak_file", where, line, t.get("key") == nullptr);
    if (!first)
        return first.err();
    if (*first) {
        c.ckn = (*first)->ckn;
        c.cak_file = (*first)->cak_file;
    }
    auto fb = read_key_pair(r, t, source, "fallback_ckn", "fallback_cak_file", where, line, false);
    if (!fb)
        return fb.err();
    if (*fb) {
        c.fallback_ckn = (*fb)->ckn;
        c.fallback_cak_file = (*fb)->cak_file;
        if (c.fallback_ckn == c.ckn)
            return r.fail("value", r.line_or(t, "fallback_ckn", line),
                          fmt::format("{}: 'fallback_ckn' is the primary key's CKN", where));
    }
    const toml::node* keys = t.get("key");
    if (keys == nullptr)
        return ok_v;
    const toml::array* arr = keys->as_array();
    if (arr == nullptr || !arr->is_array_of_tables())
        return r.fail("type", rd::line_of(*keys), "'key' must be an array of tables ([[lag.macsec.key]])");
    for (const auto& n : *arr) {
        const toml::table& kt = *n.as_table();
        const unsigned kl = rd::line_of(kt);
        constexpr std::string_view kw = "[[lag.macsec.key]]";
        if (auto ok = r.only(kt, {"ckn", "cak_file", "start"}, kw); !ok)
            return ok.err();
        auto k = read_key_pair(r, kt, source, "ckn", "cak_file", kw, kl, true);
        if (!k)
            return k.err();
        auto st = read_start(r, kt, kw);
        if (!st)
            return st.err();
        (*k)->start = *st;
        auto dup = [&](const std::vector<uint8_t>& other) { return !other.empty() && other == (*k)->ckn; };
        if (dup(c.ckn) || dup(c.fallback_ckn))
            return r.fail("value", r.line_or(kt, "ckn", kl),
                          fmt::format("{}: ckn is also {}'s; each key of a chain has its own CKN", kw,
                                      dup(c.ckn) ? "[lag.macsec] ckn" : "fallback_ckn"));
        for (const auto& o : c.keys)
            if (dup(o.ckn))
                return r.fail("value", r.line_or(kt, "ckn", kl),
                              fmt::format("{}: ckn is also the key's at line {}; each key of a chain has its own "
                                          "CKN",
                                          kw, o.line));
        c.keys.push_back(std::move(**k));
    }
    if (c.ckn.empty() && c.keys.empty())
        return r.fail("missing-key", line, fmt::format("{} needs 'ckn' and 'cak_file', or [[lag.macsec.key]]", where));
    if (c.ckn.empty()) { // no ckn beside: the first key heads the chain
        c.ckn = c.keys.front().ckn;
        c.cak_file = c.keys.front().cak_file;
        c.start = c.keys.front().start;
        c.keys.erase(c.keys.begin());
    }
    return ok_v;
}

result<macsec_config> parse_mka(const rd& r, const toml::table& t, const std::string& source, unsigned line) {
    if (auto ok = r.only(t, {"mode", "ckn", "cak_file", "cipher", "encryption", "key_server_priority",
                             "rekey_interval", "confidentiality_offset", "replay_window", "lacp", "key",
                             "fallback_ckn", "fallback_cak_file"},
                         "[lag.macsec] (mode \"mka\")");
        !ok)
        return ok.err();
    macsec_config c;
    c.line = line;
    c.enabled = true;
    c.mode = macsec_mode::mka;
    if (auto ok = read_chain(r, t, source, c, line); !ok)
        return ok.err();
    auto suite = read_cipher(r, t, line, false);
    if (!suite)
        return suite.err();
    c.suite = *suite;
    auto enc = r.string(t, "encryption", where, false, line, "must_encrypt");
    if (!enc)
        return enc.err();
    if (auto e = parse_mka_encryption(*enc))
        c.encryption = *e;
    else
        return r.fail("value", r.line_or(t, "encryption", line),
                      fmt::format("{}: encryption '{}' is not no_encrypt, should_encrypt or must_encrypt", where,
                                  *enc));
    c.confidentiality = c.encryption != mka_encryption::no_encrypt;
    auto prio = r.integer(t, "key_server_priority", where, 16, 0, 255);
    if (!prio)
        return prio.err();
    c.key_server_priority = static_cast<uint8_t>(*prio);
    auto rekey = r.integer(t, "rekey_interval", where, 0, 0, macsec_config::max_rekey_interval_s);
    if (!rekey)
        return rekey.err();
    c.rekey_interval = static_cast<uint32_t>(*rekey);
    auto off = read_offset(r, t, line);
    if (!off)
        return off.err();
    c.offset = *off;
    auto win = read_window(r, t, c.suite);
    if (!win)
        return win.err();
    c.replay_window = *win;
    auto lacp = read_lacp(r, t, line);
    if (!lacp)
        return lacp.err();
    c.lacp = *lacp;
    return c;
}

} // namespace

result<macsec_config> parse_macsec(const toml::table& t, const std::string& source) {
    rd r{source};
    const unsigned line = rd::line_of(t);
    auto mode = r.string(t, "mode", where, true, line);
    if (!mode)
        return mode.err();
    if (*mode == "mka")
        return parse_mka(r, t, source, line);
    if (*mode != "static")
        return r.fail("value", r.line_or(t, "mode", line),
                      fmt::format("{}: mode '{}' is not \"mka\" or \"static\"", where, *mode));
    if (auto ok = r.only(t, {"mode", "cipher", "include_sci", "confidentiality", "confidentiality_offset",
                             "replay_protect", "replay_window", "validate", "key_file", "member", "lacp",
                             "pn_state", "pn_chunk"},
                         where);
        !ok)
        return ok.err();
    macsec_config c;
    c.line = line;
    c.enabled = true;
    auto suite = read_cipher(r, t, line, true);
    if (!suite)
        return suite.err();
    c.suite = *suite;
    auto sci = r.boolean(t, "include_sci", where, true);
    if (!sci)
        return sci.err();
    c.include_sci = *sci;
    auto conf = r.boolean(t, "confidentiality", where, true);
    if (!conf)
        return conf.err();
    c.confidentiality = *conf;
    auto off = read_offset(r, t, line);
    if (!off)
        return off.err();
    c.offset = *off;
    auto rp = r.boolean(t, "replay_protect", where, true);
    if (!rp)
        return rp.err();
    c.replay_protect = *rp;
    auto win = read_window(r, t, c.suite);
    if (!win)
        return win.err();
    c.replay_window = *win;
    auto val = r.string(t, "validate", where, false, line, "strict");
    if (!val)
        return val.err();
    if (*val == "strict")
        c.validate = macsec::validate_frames::strict;
    else if (*val == "check")
        c.validate = macsec::validate_frames::check;
    else if (*val == "disabled")
        c.validate = macsec::validate_frames::disabled;
    else
        return r.fail("value", r.line_or(t, "validate", line),
                      fmt::format("{}: validate '{}' is not strict, check or disabled", where, *val));
    auto lacp = read_lacp(r, t, line);
    if (!lacp)
        return lacp.err();
    c.lacp = *lacp;
    auto kf = r.string(t, "key_file", where, true, line);
    if (!kf)
        return kf.err();
    if (kf->empty())
        return r.fail("value", r.line_or(t, "key_file", line), fmt::format("{}: 'key_file' is empty", where));
    c.key_file = beside(source, *kf);
    c.source = source;
    auto ps = r.string(t, "pn_state", where, false, line);
    if (!ps)
        return ps.err();
    if (t.get("pn_state") != nullptr && ps->empty())
        return r.fail("value", r.line_or(t, "pn_state", line), fmt::format("{}: 'pn_state' is empty", where));
    c.pn_state = beside(source, *ps);
    auto chunk = r.integer(t, "pn_chunk", where, 0, 1, is_xpn(c.suite) ? INT64_MAX : int64_t(0xFFFFFFFF));
    if (!chunk)
        return chunk.err();
    c.pn_chunk = static_cast<uint64_t>(*chunk);
    const toml::node* mem = t.get("member");
    if (mem == nullptr)
        return r.fail("missing-key", line, fmt::format("{} needs [[lag.macsec.member]] tables", where));
    const toml::array* a = mem->as_array();
    if (a == nullptr || !a->is_array_of_tables())
        return r.fail("type", rd::line_of(*mem), "'member' must be an array of tables ([[lag.macsec.member]])");
    for (const toml::node& n : *a) {
        const toml::table& m = *n.as_table();
        const unsigned ml = rd::line_of(m);
        if (auto ok = r.only(m, {"port", "sci", "peer_sci", "tx_key", "tx_an", "tx_pn", "tx_ssci", "tx_salt",
                                 "rx_key", "rx_an", "rx_pn", "rx_ssci", "rx_salt"},
                             "[[lag.macsec.member]]");
            !ok)
            return ok.err();
        macsec_member_config mc;
        mc.line = ml;
        auto port = r.string(m, "port", "[[lag.macsec.member]]", true, ml);
        if (!port)
            return port.err();
        mc.port = *port;
        const std::string w = fmt::format("MACsec member '{}'", mc.port);
        for (const auto& other : c.members)
            if (other.port == mc.port)
                return r.fail("value", ml, fmt::format("{} appears twice", w));
        auto own = parse_sci(r, m, "sci", w, ml);
        if (!own)
            return own.err();
        mc.sci = *own;
        auto peer = parse_sci(r, m, "peer_sci", w, ml);
        if (!peer)
            return peer.err();
        mc.peer_sci = *peer;
        auto tx = parse_sa(r, m, "tx", w, ml, c.suite);
        if (!tx)
            return tx.err();
        mc.tx = std::move(*tx);
        auto rx = parse_sa(r, m, "rx", w, ml, c.suite);
        if (!rx)
            return rx.err();
        mc.rx = std::move(*rx);
        // One transmit key and one SCI per member: two members sending
        // under one key (or one SCI) may build the same IV, a GCM nonce used
        // twice. (The key file may still give two names one key: checked
        // when the keys are read, start_static_macsec.)
        for (const auto& other : c.members) {
            if (other.sci == mc.sci)
                return r.fail("duplicate-sci", r.line_or(m, "sci", ml),
                              fmt::format("{}: sci {:012x}-{:04x} is also member '{}''s (line {}); each member "
                                          "needs its own SCI", w, mc.sci >> 16, mc.sci & 0xFFFF, other.port,
                                          other.line));
            if (other.tx.key == mc.tx.key)
                return r.fail("shared-tx-key", r.line_or(m, "tx_key", ml),
                              fmt::format("{}: tx_key '{}' is also member '{}''s (line {}); each member needs its "
                                          "own transmit key", w, mc.tx.key, other.port, other.line));
        }
        c.members.push_back(std::move(mc));
    }
    return c;
}

result<void> check_key_file_mode(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return make_error("key-file", fmt::format("{}: cannot read the key file", path));
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        return make_error("key-file-mode",
                          fmt::format("{}: mode {:04o} lets group or others at the keys; chmod 600 it", path,
                                      st.st_mode & 07777));
    return ok_v;
}

namespace {

// Key files are small; anything larger is not one.
constexpr size_t max_key_file = 1 << 20;

// The whole file, read with open/read straight into wiped storage (no
// stream or string buffer ever holds its bytes), after the same checks as
// check_key_file_mode on the open file itself.
result<secret_buffer> read_key_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return make_error("key-file", fmt::format("{}: cannot read the key file", path));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        ::close(fd);
        return make_error("key-file", fmt::format("{}: cannot read the key file", path));
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        ::close(fd);
        return make_error("key-file-mode",
                          fmt::format("{}: mode {:04o} lets group or others at the keys; chmod 600 it", path,
                                      st.st_mode & 07777));
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 0 || static_cast<uint64_t>(st.st_size) > max_key_file) {
        ::close(fd);
        return make_error("key-file", fmt::format("{}: not a key file (a regular file of at most {} bytes)", path,
                                                  max_key_file));
    }
    // One byte more than the size: a file that grew meanwhile is seen.
    secret_buffer buf(static_cast<size_t>(st.st_size) + 1);
    size_t n = 0;
    while (n < buf.capacity()) {
        const ssize_t r = ::read(fd, buf.data() + n, buf.capacity() - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            ::close(fd);
            return make_error("key-file", fmt::format("{}: cannot read the key file", path));
        }
        if (r == 0)
            break;
        n += static_cast<size_t>(r);
    }
    ::close(fd);
    if (n == buf.capacity())
        return make_error("key-file", fmt::format("{}: the key file changed while it was read", path));
    buf.set_size(n);
    return buf;
}

std::string_view strip_comment(std::string_view line) {
    const auto hash = line.find('#');
    return hash == std::string_view::npos ? line : line.substr(0, hash);
}

} // namespace

result<secret<32>> load_cak_file(const std::string& path) {
    auto file = read_key_file(path);
    if (!file)
        return file.err();
    // Parsed in place: comments end at the line's end, the rest is hex
    // (blanks, ':' '-' ignored) into a stack buffer wiped below.
    std::array<uint8_t, 32> buf{};
    size_t n = 0;
    int hi = -1;
    bool ok = true;
    std::string_view rest = file->text();
    while (ok && !rest.empty()) {
        const auto nl = rest.find('\n');
        const std::string_view line = strip_comment(rest.substr(0, nl));
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        for (char c : line) {
            if (c == ':' || c == '-' || c == ' ' || c == '\t' || c == '\r')
                continue;
            const int v = hexval(c);
            if (v < 0 || n >= buf.size()) {
                ok = false;
                break;
            }
            if (hi < 0) {
                hi = v;
            } else {
                buf[n++] = static_cast<uint8_t>(hi << 4 | v);
                hi = -1;
            }
        }
    }
    ok = ok && hi < 0 && (n == 16 || n == 32);
    secret<32> cak;
    if (ok)
        cak.assign({buf.data(), n});
    secure_wipe(buf.data(), buf.size());
    if (!ok)
        return make_error("key-file", fmt::format("{}: the CAK must be 32 or 64 hex digits (16 or 32 bytes) "
                                                  "and nothing else", path));
    return cak;
}

result<key_map> load_key_file(const std::string& path) {
    auto file = read_key_file(path);
    if (!file)
        return file.err();
    key_map keys;
    std::string_view rest = file->text();
    unsigned no = 0;
    while (!rest.empty()) {
        const auto nl = rest.find('\n');
        std::string_view s = strip_comment(rest.substr(0, nl));
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        ++no;
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
            s.remove_prefix(1);
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
            s.remove_suffix(1);
        if (s.empty())
            continue;
        const auto eq = s.find('=');
        if (eq == std::string_view::npos)
            return make_error("key-file", fmt::format("{}:{}: expected 'name = hex'", path, no));
        std::string_view name = s.substr(0, eq), hex = s.substr(eq + 1);
        while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back())))
            name.remove_suffix(1);
        if (hex.size() >= 2 && (hex.front() == '"' || std::isspace(static_cast<unsigned char>(hex.front()))))
            while (!hex.empty() && (hex.front() == '"' || std::isspace(static_cast<unsigned char>(hex.front()))))
                hex.remove_prefix(1);
        if (!hex.empty() && hex.back() == '"')
            hex.remove_suffix(1);
        std::array<uint8_t, 32> buf{};
        size_t n = 0;
        const bool ok = parse_hex(hex, buf, n) && (n == 16 || n == 32);
        if (name.empty()) {
            secure_wipe(buf.data(), buf.size());
            return make_error("key-file", fmt::format("{}:{}: a key needs a name", path, no));
        }
        const std::string key_name(name); // a name, not key material
        if (ok)
            keys[key_name].assign({buf.data(), n});
        secure_wipe(buf.data(), buf.size());
        if (!ok)
            return make_error("key-file",
                              fmt::format("{}:{}: key '{}' must be 32 or 64 hex digits", path, no, key_name));
    }
    return keys;
}

result<void> check_distinct_tx_keys(const macsec_config& m, const key_map& keys) {
    for (size_t i = 0; i < m.members.size(); ++i) {
        const auto a = keys.find(m.members[i].tx.key);
        if (a == keys.end())
            continue;
        for (size_t j = 0; j < i; ++j) {
            const auto b = keys.find(m.members[j].tx.key);
            if (b != keys.end() && a->second.equals(b->second.view()))
                return make_error("shared-tx-key",
                                  fmt::format("{}:{}: MACsec member '{}': tx_key '{}' is the same key as member "
                                              "'{}''s tx_key '{}' (line {}) in {}; each member needs its own "
                                              "transmit key",
                                              m.source, m.members[i].line, m.members[i].port, m.members[i].tx.key,
                                              m.members[j].port, m.members[j].tx.key, m.members[j].line,
                                              m.key_file));
        }
    }
    return ok_v;
}

} // namespace lag::lagd
