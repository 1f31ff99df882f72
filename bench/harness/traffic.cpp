#include "traffic.hpp"

#include <algorithm>
#include <cstring>
#include <random>

#include <fmt/format.h>

namespace lag::bench {

const size_weight egress_size_mix[8] = {
    {64, 40}, {128, 8}, {256, 6}, {512, 6}, {594, 16}, {1024, 6}, {1280, 6}, {1518, 12},
};

namespace {

constexpr uint16_t ether_type_ipv4 = 0x0800;
constexpr uint16_t ether_type_ipv6 = 0x86DD;
constexpr uint16_t ether_type_vlan = 0x8100;
constexpr uint8_t proto_tcp = 6;
constexpr uint8_t proto_udp = 17;

constexpr uint16_t tcp_ports[] = {80, 443, 22, 8080, 5201, 3306, 6443, 9092};
constexpr uint16_t udp_ports[] = {53, 123, 443, 4789, 5201, 514, 1812, 6081};

// A deterministic source of numbers: mt19937_64's raw output is fixed by the
// standard; ranges are taken by multiply-shift, never by std:: distributions.
class rng {
public:
    explicit rng(uint64_t seed) : _e(seed) {}
    uint64_t next() { return _e(); }
    uint32_t below(uint32_t n) { return static_cast<uint32_t>((_e() >> 32) * n >> 32); }
    bool percent(uint32_t p) { return below(100) < p; }

private:
    std::mt19937_64 _e;
};

void put16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
    put16(p, static_cast<uint16_t>(v >> 16));
    put16(p + 2, static_cast<uint16_t>(v));
}

// Internet checksum helpers (RFC 1071).
uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) acc += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (n & 1) acc += static_cast<uint32_t>(p[n - 1] << 8);
    return acc;
}
uint16_t fold(uint32_t acc) {
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<uint16_t>(~acc);
}

size_t header_len(const flow_tuple& f) {
    return 14 + (f.vlan ? 4 : 0) + (f.ipv6 ? 40 : 20) + (f.udp ? 8 : 20);
}

// Builds one frame of `len` bytes (raised to the headers' length) for flow f,
// in the direction given: forward = host -> partner, else the reverse.
frame build(const flow_tuple& f, bool forward, size_t len, uint32_t seq) {
    len = std::max(len, header_len(f));
    frame out(len);
    uint8_t* p = out.data();
    std::memcpy(p, forward ? partner_mac : f.host_mac, 6);
    std::memcpy(p + 6, forward ? f.host_mac : partner_mac, 6);
    size_t off = 12;
    if (f.vlan) {
        put16(p + off, ether_type_vlan);
        put16(p + off + 2, f.vlan);
        off += 4;
    }
    put16(p + off, f.ipv6 ? ether_type_ipv6 : ether_type_ipv4);
    off += 2;

    const uint8_t* src_ip = forward ? f.src_ip : f.dst_ip;
    const uint8_t* dst_ip = forward ? f.dst_ip : f.src_ip;
    const uint16_t src_port = forward ? f.src_port : f.dst_port;
    const uint16_t dst_port = forward ? f.dst_port : f.src_port;
    const uint8_t proto = f.udp ? proto_udp : proto_tcp;
    const size_t l3 = off;
    const size_t l4 = l3 + (f.ipv6 ? 40 : 20);
    const size_t l4_len = len - l4;

    if (f.ipv6) {
        put32(p + l3, 0x60000000u | (seq & 0xfffffu));
        put16(p + l3 + 4, static_cast<uint16_t>(l4_len));
        p[l3 + 6] = proto;
        p[l3 + 7] = 64;
        std::memcpy(p + l3 + 8, src_ip, 16);
        std::memcpy(p + l3 + 24, dst_ip, 16);
    } else {
        p[l3] = 0x45;
        p[l3 + 1] = 0;
        put16(p + l3 + 2, static_cast<uint16_t>(len - l3));
        put16(p + l3 + 4, static_cast<uint16_t>(seq));
        put16(p + l3 + 6, 0x4000); // DF
        p[l3 + 8] = 64;
        p[l3 + 9] = proto;
        std::memcpy(p + l3 + 12, src_ip, 4);
        std::memcpy(p + l3 + 16, dst_ip, 4);
        put16(p + l3 + 10, fold(sum16(p + l3, 20)));
    }

    put16(p + l4, src_port);
    put16(p + l4 + 2, dst_port);
    size_t payload = l4 + 8;
    if (f.udp) {
        put16(p + l4 + 4, static_cast<uint16_t>(l4_len));
    } else {
        put32(p + l4 + 4, seq * 1448u);     // sequence number
        put32(p + l4 + 8, 0x1000u + seq);   // acknowledgement
        p[l4 + 12] = 0x50;                  // data offset 5 words
        p[l4 + 13] = 0x18;                  // PSH, ACK
        put16(p + l4 + 14, 0xffff);         // window
        payload = l4 + 20;
    }
    for (size_t i = payload; i < len; ++i) p[i] = static_cast<uint8_t>(i * 31 + seq);

    // L4 checksum over the pseudo-header (RFC 768/793, RFC 8200 8.1).
    uint32_t acc = 0;
    if (f.ipv6) {
        acc = sum16(src_ip, 16, acc);
        acc = sum16(dst_ip, 16, acc);
        acc += static_cast<uint32_t>(l4_len >> 16) + static_cast<uint32_t>(l4_len & 0xffff);
    } else {
        acc = sum16(src_ip, 4, acc);
        acc = sum16(dst_ip, 4, acc);
        acc += static_cast<uint32_t>(l4_len);
    }
    acc += proto;
    acc = sum16(p + l4, l4_len, acc);
    uint16_t csum = fold(acc);
    if (f.udp && csum == 0) csum = 0xffff;
    put16(p + l4 + (f.udp ? 6 : 16), csum);
    return out;
}

flow_tuple random_flow(rng& r, const traffic_config& cfg) {
    flow_tuple f;
    f.ipv6 = r.percent(cfg.ipv6_percent);
    f.udp = r.percent(cfg.udp_percent);
    f.vlan = r.percent(cfg.vlan_percent) ? static_cast<uint16_t>(100 + r.below(8)) : 0;
    // 64 hosts behind the access port, locally administered MACs.
    const uint32_t host = r.below(64);
    const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x20, 0x00, static_cast<uint8_t>(host)};
    std::memcpy(f.host_mac, mac, 6);
    if (f.ipv6) {
        // fd00:lag::/64 hosts (ULA) to 2001:db8::/32 servers (documentation).
        const uint8_t src[8] = {0xfd, 0x00, 0x00, 0x1a, 0x00, 0x00, 0x00, 0x01};
        const uint8_t dst[4] = {0x20, 0x01, 0x0d, 0xb8};
        std::memcpy(f.src_ip, src, 8);
        std::memcpy(f.dst_ip, dst, 4);
        const uint64_t a = r.next(), b = r.next(), c = r.next();
        for (int i = 0; i < 8; ++i) f.src_ip[8 + i] = static_cast<uint8_t>(a >> (8 * i));
        for (int i = 0; i < 8; ++i) f.dst_ip[4 + i] = static_cast<uint8_t>(b >> (8 * i));
        for (int i = 0; i < 4; ++i) f.dst_ip[12 + i] = static_cast<uint8_t>(c >> (8 * i));
        f.src_ip[15] = static_cast<uint8_t>(host); // one address per host, more per flow
    } else {
        // 10.0.0.0/8 hosts to 198.18.0.0/15 (RFC 2544 benchmarking range).
        const uint64_t a = r.next();
        f.src_ip[0] = 10;
        f.src_ip[1] = static_cast<uint8_t>(a);
        f.src_ip[2] = static_cast<uint8_t>(a >> 8);
        f.src_ip[3] = static_cast<uint8_t>(host);
        f.dst_ip[0] = 198;
        f.dst_ip[1] = static_cast<uint8_t>(18 + ((a >> 16) & 1));
        f.dst_ip[2] = static_cast<uint8_t>(a >> 24);
        f.dst_ip[3] = static_cast<uint8_t>(a >> 32);
    }
    f.src_port = static_cast<uint16_t>(32768 + r.below(28232));
    f.dst_port = f.udp ? udp_ports[r.below(8)] : tcp_ports[r.below(8)];
    return f;
}

uint16_t pick_wire_size(rng& r) {
    uint32_t total = 0;
    for (const auto& s : egress_size_mix) total += s.weight;
    uint32_t x = r.below(total);
    for (const auto& s : egress_size_mix) {
        if (x < s.weight) return s.wire_size;
        x -= s.weight;
    }
    return egress_size_mix[0].wire_size;
}

} // namespace

traffic make_traffic(const traffic_config& cfg) {
    traffic t;
    rng r(cfg.seed);
    const uint32_t nflows = std::max<uint32_t>(cfg.flows, 1);
    t.flows.reserve(nflows);
    for (uint32_t i = 0; i < nflows; ++i) t.flows.push_back(random_flow(r, cfg));

    t.egress.reserve(cfg.frames);
    t.egress_flow.reserve(cfg.frames);
    t.ingress.reserve(cfg.frames);
    t.min_len = 0xffff;
    for (uint32_t i = 0; i < cfg.frames; ++i) {
        // Every flow appears at least once, then flows are drawn at random.
        const uint32_t fi = i < nflows ? i : r.below(nflows);
        const flow_tuple& f = t.flows[fi];
        const size_t len = static_cast<size_t>(cfg.wire_size != 0 ? cfg.wire_size : pick_wire_size(r)) - 4;
        t.egress.push_back(build(f, true, len, i));
        t.egress_flow.push_back(fi);
        t.ingress.push_back(build(f, false, cfg.ingress_len, i));
        const auto& e = t.egress.back();
        t.egress_bytes += e.size();
        t.min_len = std::min<uint16_t>(t.min_len, static_cast<uint16_t>(e.size()));
        t.max_len = std::max<uint16_t>(t.max_len, static_cast<uint16_t>(e.size()));
        (f.ipv6 ? t.ipv6_frames : t.ipv4_frames)++;
        (f.udp ? t.udp_frames : t.tcp_frames)++;
        if (f.vlan) t.vlan_frames++;
    }
    if (t.egress.empty()) t.min_len = 0;
    return t;
}

double traffic::mean_wire_size() const {
    return egress.empty() ? 0.0 : static_cast<double>(egress_bytes) / egress.size() + 4.0;
}

std::string traffic::describe() const {
    const double n = egress.empty() ? 1.0 : static_cast<double>(egress.size());
    return fmt::format(
        "{} egress frames over {} flows: IPv4 {:.0f}% IPv6 {:.0f}%, TCP {:.0f}% UDP {:.0f}%, "
        "802.1Q {:.0f}%; {}..{} bytes on the wire (mean {:.0f}); ingress: the reversed flows, "
        "{} bytes",
        egress.size(), flows.size(), 100.0 * ipv4_frames / n, 100.0 * ipv6_frames / n,
        100.0 * tcp_frames / n, 100.0 * udp_frames / n, 100.0 * vlan_frames / n, min_len + 4,
        max_len + 4, mean_wire_size(), ingress.empty() ? 0 : ingress.front().size() + 4);
}

} // namespace lag::bench
