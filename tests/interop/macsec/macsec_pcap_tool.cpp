// Test helper for the scapy/tshark interop suite: runs lib/macsec's protect
// or verify over every frame of a pcap file and writes the result to another.
//
//   macsec-pcap-tool protect|verify --suite S --key-file F --sci HEX [--an N]
//       [--pn N] [--ssci HEX] [--salt HEX] [--no-sci] [--integrity]
//       [--offset 0|30|50] [--validate strict|check|disabled] [--window N]
//       IN.pcap OUT.pcap
//
// verify prints one JSON object: the status of each frame and the SecY,
// receive SC and SA counters. The key is read from a file and never printed.

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "macsec/macsec.hpp"

using namespace lag;
using namespace lag::macsec;

namespace {

struct pcap_file {
    std::vector<bytes> frames;
};

bool read_pcap(const std::string& path, pcap_file& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    bytes all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (all.size() < 24)
        return false;
    auto le32 = [&](size_t o) {
        return uint32_t{all[o]} | uint32_t{all[o + 1]} << 8 | uint32_t{all[o + 2]} << 16 |
               uint32_t{all[o + 3]} << 24;
    };
    const uint32_t magic = le32(0);
    if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d)
        return false; // little-endian classic pcap only (what scapy and DPDK write)
    if (le32(20) != 1)
        return false; // Ethernet
    size_t o = 24;
    while (o + 16 <= all.size()) {
        const uint32_t incl = le32(o + 8);
        o += 16;
        if (o + incl > all.size())
            return false;
        out.frames.emplace_back(all.begin() + static_cast<long>(o),
                                all.begin() + static_cast<long>(o + incl));
        o += incl;
    }
    return true;
}

bool write_pcap(const std::string& path, const std::vector<bytes>& frames) {
    std::ofstream out(path, std::ios::binary);
    auto w32 = [&](uint32_t v) {
        char b[4] = {char(v), char(v >> 8), char(v >> 16), char(v >> 24)};
        out.write(b, 4);
    };
    auto w16 = [&](uint16_t v) {
        char b[2] = {char(v), char(v >> 8)};
        out.write(b, 2);
    };
    w32(0xa1b2c3d4);
    w16(2);
    w16(4);
    w32(0);
    w32(0);
    w32(65535);
    w32(1);
    uint32_t t = 0;
    for (const auto& f : frames) {
        w32(++t);
        w32(0);
        w32(static_cast<uint32_t>(f.size()));
        w32(static_cast<uint32_t>(f.size()));
        out.write(reinterpret_cast<const char*>(f.data()), static_cast<long>(f.size()));
    }
    return static_cast<bool>(out);
}

const char* name(rx_status s) {
    switch (s) {
    case rx_status::ok: return "ok";
    case rx_status::delivered_untagged: return "delivered_untagged";
    case rx_status::delivered_unchecked: return "delivered_unchecked";
    case rx_status::delivered_invalid: return "delivered_invalid";
    case rx_status::delivered_unknown_sci: return "delivered_unknown_sci";
    case rx_status::delivered_unused_sa: return "delivered_unused_sa";
    case rx_status::drop_no_tag: return "drop_no_tag";
    case rx_status::drop_bad_tag: return "drop_bad_tag";
    case rx_status::drop_no_sci: return "drop_no_sci";
    case rx_status::drop_not_using_sa: return "drop_not_using_sa";
    case rx_status::drop_late: return "drop_late";
    case rx_status::drop_not_valid: return "drop_not_valid";
    }
    return "?";
}

int usage(const char* why) {
    std::fprintf(stderr, "macsec-pcap-tool: %s\n", why);
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2)
        return usage("protect|verify ...");
    const std::string mode = argv[1];
    secy_config cfg;
    sa_params p;
    uint8_t an = 0;
    std::string key_file, in_path, out_path;
    bool have_sci = false;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string(); };
        if (a == "--suite") {
            auto s = parse_cipher_suite(next());
            if (!s)
                return usage("unknown suite");
            cfg.suite = p.suite = *s;
        } else if (a == "--key-file") {
            key_file = next();
        } else if (a == "--sci") {
            cfg.sci = std::stoull(next(), nullptr, 16);
            have_sci = true;
        } else if (a == "--an") {
            an = static_cast<uint8_t>(std::stoul(next()));
        } else if (a == "--pn") {
            p.next_pn = std::stoull(next(), nullptr, 0);
        } else if (a == "--ssci") {
            p.ssci = static_cast<uint32_t>(std::stoul(next(), nullptr, 16));
        } else if (a == "--salt") {
            auto s = from_hex(next());
            if (!s || s->size() != 12)
                return usage("salt must be 12 bytes of hex");
            std::copy(s->begin(), s->end(), p.salt.begin());
        } else if (a == "--no-sci") {
            cfg.include_sci = false;
        } else if (a == "--integrity") {
            cfg.confidentiality = false;
        } else if (a == "--offset") {
            cfg.confidentiality_offset = static_cast<uint8_t>(std::stoul(next()));
        } else if (a == "--validate") {
            std::string v = next();
            cfg.validate = v == "check"      ? validate_frames::check
                           : v == "disabled" ? validate_frames::disabled
                                             : validate_frames::strict;
        } else if (a == "--window") {
            cfg.replay_window = static_cast<uint32_t>(std::stoul(next()));
        } else if (in_path.empty()) {
            in_path = a;
        } else {
            out_path = a;
        }
    }
    if (!have_sci || key_file.empty() || out_path.empty())
        return usage("need --sci, --key-file, IN and OUT");
    {
        std::ifstream kf(key_file);
        std::string hex;
        kf >> hex;
        auto k = from_hex(hex);
        if (!k || !p.key.assign(*k))
            return usage("bad key file");
        secure_wipe(hex.data(), hex.size());
        if (k)
            secure_wipe(k->data(), k->size());
    }
    pcap_file in;
    if (!read_pcap(in_path, in))
        return usage("cannot read the input pcap");
    auto eng = crypto::engine::create();
    if (!eng)
        return usage(eng.err().to_string().c_str());
    auto s = secy::create(cfg);
    if (!s)
        return usage(s.err().to_string().c_str());
    secy& y = **s;

    std::vector<bytes> store;
    std::vector<frame> frames;
    for (const auto& f : in.frames) {
        store.emplace_back(32 + f.size() + 32);
        std::copy(f.begin(), f.end(), store.back().begin() + 32);
    }
    for (size_t i = 0; i < store.size(); ++i)
        frames.push_back(frame{store[i].data() + 32, static_cast<uint32_t>(in.frames[i].size()), 32, 32});

    std::vector<bytes> out;
    if (mode == "protect") {
        auto sa = tx_sa::create(**eng, an, p);
        if (!sa)
            return usage(sa.err().to_string().c_str());
        if (auto r = y.install_tx_sa(std::move(sa.value())); !r)
            return usage(r.err().to_string().c_str());
        (void)y.set_encoding_sa(an);
        std::vector<tx_status> st(frames.size());
        const size_t n = y.protect_burst(**eng, frames, st);
        if (n != frames.size())
            return usage("some frames were not protected");
        for (const auto& f : frames)
            out.emplace_back(f.data, f.data + f.len);
    } else if (mode == "verify") {
        // The peer's SCI is --sci; this SecY's own SCI does not matter here.
        const sci_t peer = cfg.sci;
        if (auto r = y.add_rx_sc(peer); !r)
            return usage(r.err().to_string().c_str());
        auto sa = rx_sa::create(**eng, an, p);
        if (!sa)
            return usage(sa.err().to_string().c_str());
        if (auto r = y.install_rx_sa(peer, std::move(sa.value())); !r)
            return usage(r.err().to_string().c_str());
        std::vector<rx_status> st(frames.size());
        y.verify_burst(**eng, frames, st);
        std::printf("{\"status\": [");
        for (size_t i = 0; i < st.size(); ++i) {
            std::printf("%s\"%s\"", i ? ", " : "", name(st[i]));
            if (delivered(st[i]))
                out.emplace_back(frames[i].data, frames[i].data + frames[i].len);
        }
        const auto& c = y.counters();
        const auto& sc = *y.rx_sc_stats(peer);
        const auto& sac = y.rx(peer, an)->counters();
        std::printf("], \"secy\": {\"InPktsUntagged\": %lu, \"InPktsNoTag\": %lu, \"InPktsBadTag\": %lu, "
                    "\"InPktsUnknownSCI\": %lu, \"InPktsNoSCI\": %lu}, ",
                    c.in_pkts_untagged, c.in_pkts_no_tag, c.in_pkts_bad_tag, c.in_pkts_unknown_sci,
                    c.in_pkts_no_sci);
        std::printf("\"sc\": {\"InPktsOK\": %lu, \"InPktsUnchecked\": %lu, \"InPktsDelayed\": %lu, "
                    "\"InPktsLate\": %lu, \"InPktsInvalid\": %lu, \"InPktsNotValid\": %lu, "
                    "\"InPktsNotUsingSA\": %lu, \"InPktsUnusedSA\": %lu}, ",
                    sc.in_pkts_ok, sc.in_pkts_unchecked, sc.in_pkts_delayed, sc.in_pkts_late,
                    sc.in_pkts_invalid, sc.in_pkts_not_valid, sc.in_pkts_not_using_sa,
                    sc.in_pkts_unused_sa);
        std::printf("\"sa\": {\"InPktsOK\": %lu, \"InPktsInvalid\": %lu, \"InPktsNotValid\": %lu}}\n",
                    sac.in_pkts_ok, sac.in_pkts_invalid, sac.in_pkts_not_valid);
    } else {
        return usage("mode must be protect or verify");
    }
    if (!write_pcap(out_path, out))
        return usage("cannot write the output pcap");
    return 0;
}
