#include "macsec/pn_store.hpp"

#include "common/secret.hpp"

#include <fmt/format.h>

#include <charconv>
#include <vector>

namespace lag::macsec {

result<key_fingerprint> fingerprint_of(crypto::engine& e, std::span<const uint8_t> key) {
    auto k = crypto::aes_key::create(e, key);
    if (!k)
        return k.err();
    static constexpr std::string_view label = "dpdk-lag transmit PN fingerprint";
    std::array<uint8_t, crypto::aes_block> mac{};
    if (!crypto::cmac(e, **k, {reinterpret_cast<const uint8_t*>(label.data()), label.size()}, mac))
        return make_error("crypto", "AES-CMAC failed");
    key_fingerprint fp{};
    std::copy(mac.begin(), mac.begin() + fp.size(), fp.begin());
    secure_wipe(mac.data(), mac.size());
    return fp;
}

std::string to_string(const pn_sa_id& id) {
    return fmt::format("SCI {:012x}-{:04x} AN {}", id.sci >> 16, id.sci & 0xFFFF, id.an);
}

namespace {

constexpr std::string_view header =
    "# dpdk-lagd: transmit PNs reserved per static SA (no keys). Written before\n"
    "# the PNs are used; a restart sends from CEILING on. Do not edit or lower.\n"
    "# SCI AN KEY-FINGERPRINT CEILING\n";

bool hex_to(std::string_view s, uint64_t& v) {
    if (s.empty() || s.size() > 16)
        return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string_view> fields(std::string_view line) {
    std::vector<std::string_view> f;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
            ++i;
        size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t')
            ++j;
        if (j > i)
            f.push_back(line.substr(i, j - i));
        i = j;
    }
    return f;
}

} // namespace

std::string pn_store::text() const {
    std::string s(header);
    for (const auto& [id, ceiling] : _ceilings) {
        s += fmt::format("{:012x}-{:04x} {} ", id.sci >> 16, id.sci & 0xFFFF, id.an);
        for (uint8_t b : id.fp)
            s += fmt::format("{:02x}", b);
        s += fmt::format(" {}\n", ceiling);
    }
    return s;
}

result<std::map<pn_sa_id, uint64_t>> pn_store::parse(std::string_view text, std::string_view source) {
    std::map<pn_sa_id, uint64_t> m;
    unsigned no = 0;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++no;
        if (const auto hash = line.find('#'); hash != std::string_view::npos)
            line = line.substr(0, hash);
        const auto f = fields(line);
        if (f.empty())
            continue;
        auto bad = [&](std::string_view why) {
            return make_error("pn-state", fmt::format("{}:{}: {} (expected 'SCI AN KEY-FINGERPRINT CEILING')",
                                                      source, no, why));
        };
        if (f.size() != 4)
            return bad("not four fields");
        pn_sa_id id;
        uint64_t mac = 0, port = 0;
        const auto dash = f[0].find('-');
        if (dash != 12 || f[0].size() != 17 || !hex_to(f[0].substr(0, 12), mac) || !hex_to(f[0].substr(13), port))
            return bad("bad SCI");
        id.sci = mac << 16 | port;
        unsigned an = 0;
        if (auto [p, ec] = std::from_chars(f[1].data(), f[1].data() + f[1].size(), an);
            ec != std::errc() || p != f[1].data() + f[1].size() || an > 3)
            return bad("bad AN");
        id.an = static_cast<uint8_t>(an);
        uint64_t fp = 0;
        if (f[2].size() != 16 || !hex_to(f[2], fp))
            return bad("bad key fingerprint");
        for (size_t i = 0; i < id.fp.size(); ++i)
            id.fp[i] = static_cast<uint8_t>(fp >> (8 * (7 - i)));
        uint64_t ceiling = 0;
        if (auto [p, ec] = std::from_chars(f[3].data(), f[3].data() + f[3].size(), ceiling);
            ec != std::errc() || p != f[3].data() + f[3].size() || ceiling == 0)
            return bad("bad ceiling");
        if (!m.emplace(id, ceiling).second)
            return bad("the SA appears twice");
    }
    return m;
}

result<std::unique_ptr<pn_store>> pn_store::open(std::unique_ptr<pn_storage> s) {
    std::unique_ptr<pn_store> st(new pn_store(std::move(s)));
    auto text = st->_storage->read();
    if (!text)
        return text.err();
    if (*text) {
        auto m = parse(**text, st->_storage->name());
        if (!m)
            return m.err();
        st->_ceilings = std::move(*m);
    }
    return st;
}

uint64_t pn_store::ceiling(const pn_sa_id& id) const noexcept {
    auto it = _ceilings.find(id);
    return it == _ceilings.end() ? 0 : it->second;
}

result<void> pn_store::persist(const pn_sa_id& id, uint64_t ceiling) {
    auto it = _ceilings.find(id);
    const bool had = it != _ceilings.end();
    const uint64_t old = had ? it->second : 0;
    _ceilings[id] = ceiling;
    auto w = _storage->write(text());
    if (!w) { // a refused change changes nothing
        if (had)
            _ceilings[id] = old;
        else
            _ceilings.erase(id);
        return make_error(w.err().code, fmt::format("cannot write the PN state {}: {}", _storage->name(),
                                                    w.err().message));
    }
    return ok_v;
}

namespace {

// The ceiling after reserving `chunk` PNs from `from` (<= max_pn), at most
// max_pn + 1 (which fits: max_pn < UINT64_MAX).
uint64_t ceiling_after(uint64_t from, uint64_t max_pn, uint64_t chunk) {
    const uint64_t room = max_pn - from + 1;
    return from + (chunk == 0 || chunk > room ? room : chunk);
}

} // namespace

result<pn_grant> pn_store::start(const pn_sa_id& id, uint64_t configured_pn, uint64_t max_pn, uint64_t chunk) {
    const uint64_t floor = ceiling(id);
    const uint64_t first = configured_pn > floor ? configured_pn : floor;
    if (first == 0 || first > max_pn)
        return make_error("pn-exhausted",
                          fmt::format("{}: its key has no PN left (next PN {}, the last is {}; {} keeps the PNs "
                                      "already sent under this key): give the SA a new key",
                                      to_string(id), first, max_pn, _storage->name()));
    const uint64_t c = ceiling_after(first, max_pn, chunk);
    if (auto ok = persist(id, c); !ok)
        return ok.err();
    return pn_grant{first, c - 1};
}

result<uint64_t> pn_store::extend(const pn_sa_id& id, uint64_t limit, uint64_t max_pn, uint64_t chunk) {
    // Never below what is persisted (another extend may have gone further).
    uint64_t from = limit + 1;
    if (const uint64_t c = ceiling(id); c > from)
        from = c;
    if (limit >= max_pn || from > max_pn)
        return make_error("pn-exhausted", fmt::format("{}: no PN left to reserve", to_string(id)));
    const uint64_t c = ceiling_after(from, max_pn, chunk);
    if (auto ok = persist(id, c); !ok)
        return ok.err();
    return c - 1;
}

} // namespace lag::macsec
