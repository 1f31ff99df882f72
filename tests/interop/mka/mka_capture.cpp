// Test fixture for the interop suite: two participants (real ipsec-mb crypto,
// seeded randomness) secure a link in virtual time, rotate once on PN
// exhaustion, and every MKPDU they sent is written to a pcap. The SAKs they
// installed go to a JSON file so the independent checker can compare what it
// unwraps. Test keys only: nothing in the product writes key material.
//
//   mka-capture OUT.pcap OUT.json CAK_HEX CKN_ASCII SUITE[,SUITE...]

#include "../../scenario/mka/lan.hpp"

#include <cstdio>
#include <fstream>

using namespace lag;
using namespace lag::mka;

namespace {

void put32le(std::ofstream& o, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        o.put(static_cast<char>(v >> (8 * i)));
}
void put16le(std::ofstream& o, uint16_t v) {
    o.put(static_cast<char>(v));
    o.put(static_cast<char>(v >> 8));
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: %s OUT.pcap OUT.json CAK_HEX CKN SUITES\n", argv[0]);
        return 2;
    }
    std::vector<cipher_suite> suites;
    std::string_view list = argv[5];
    while (!list.empty()) {
        auto comma = list.find(',');
        auto s = parse_cipher_suite(list.substr(0, comma));
        if (!s) {
            std::fprintf(stderr, "unknown suite\n");
            return 2;
        }
        suites.push_back(*s);
        list = comma == std::string_view::npos ? "" : list.substr(comma + 1);
    }
    test::lan l(99);
    auto ca = test::lan::config(1, argv[3], argv[4]);
    auto cb = test::lan::config(2, argv[3], argv[4]);
    ca.cipher_suites = cb.cipher_suites = suites;
    ca.offset = confidentiality_offset::offset_30;
    auto a = l.add(std::move(ca));
    auto b = l.add(std::move(cb));
    if (!l.run_until([&] { return l.all_secured_on_one_key({a, b}); }, seconds(10))) {
        std::fprintf(stderr, "not secured\n");
        return 1;
    }
    std::vector<std::pair<key_identifier, test::secy_view::sa>> saks{
        {*l[a].secy.tx_active, *l[a].secy.tx_for(*l[a].secy.tx_active)}};
    l.apply(a, l.p(a).report_tx_pn(is_xpn(saks[0].second.suite) ? 0xC000000000000001ull : 0xFFFFFFF0ull, l.now));
    l.deliver_all();
    if (!l.run_until([&] { return l.all_secured_on_one_key({a, b}) &&
                                  !(*l[a].secy.tx_active == saks[0].first); })) {
        std::fprintf(stderr, "no rotation\n");
        return 1;
    }
    saks.push_back({*l[a].secy.tx_active, *l[a].secy.tx_for(*l[a].secy.tx_active)});
    l.run(seconds(4));

    std::ofstream pcap(argv[1], std::ios::binary);
    put32le(pcap, 0xa1b2c3d4);
    put16le(pcap, 2);
    put16le(pcap, 4);
    put32le(pcap, 0);
    put32le(pcap, 0);
    put32le(pcap, 65535);
    put32le(pcap, 1); // Ethernet
    uint32_t t = 0;
    size_t frames = 0;
    for (auto i : {a, b})
        for (const auto& f : l[i].sent) {
            put32le(pcap, 1700000000 + t++);
            put32le(pcap, 0);
            put32le(pcap, static_cast<uint32_t>(f.size()));
            put32le(pcap, static_cast<uint32_t>(f.size()));
            pcap.write(reinterpret_cast<const char*>(f.data()), static_cast<long>(f.size()));
            ++frames;
        }
    std::ofstream js(argv[2]);
    js << "{\"frames\": " << frames << ", \"saks\": [";
    for (size_t k = 0; k < saks.size(); ++k) {
        const auto& [ki, sa] = saks[k];
        js << (k ? ", " : "") << "{\"mi\": \"" << to_hex(ki.mi) << "\", \"kn\": " << ki.kn
           << ", \"an\": " << int(sa.an) << ", \"suite\": \"" << to_string(sa.suite)
           << "\", \"offset\": " << int(sa.offset) << ", \"sak\": \"" << to_hex(sa.sak) << "\"}";
    }
    js << "]}\n";
    return pcap && js ? 0 : 1;
}
