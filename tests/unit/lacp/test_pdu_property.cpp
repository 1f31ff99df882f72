// Property: no corruption of a slow-protocols frame crashes the codec or the
// machines, reads outside the frame (ASan build), or decodes to something
// that does not re-encode to the same fields.
#include "lacp/lacp.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>

namespace lag::lacp {
namespace {

std::vector<bytes> seeds() {
    lacpdu l;
    l.source = *mac_addr::parse("02:00:00:00:00:01");
    l.actor = {0x8000, *mac_addr::parse("02:00:00:00:00:aa"), 7, 0x80, 1, 0x3f};
    l.partner = {0x8000, *mac_addr::parse("02:00:00:00:00:bb"), 7, 0x80, 2, 0x3f};
    marker_pdu m;
    m.source = l.source;
    m.requester_system = l.actor.system;
    m.requester_transaction_id = 42;
    frame a = encode(l), b = encode(m);
    bytes v2(a.data.begin(), a.data.end());
    v2[15] = 2;
    v2[72] = 0x04, v2[73] = 0x06, v2[78] = 0, v2[79] = 0; // Port Algorithm TLV, terminator
    return {bytes(a.data.begin(), a.data.end()), bytes(b.data.begin(), b.data.end()), v2};
}

// Decodes from a heap buffer of exactly the frame's size, so that AddressSanitizer
// catches any read past the end.
decoded decode_exact(const bytes& f) {
    auto buf = std::make_unique<uint8_t[]>(f.size() + 1);
    std::copy(f.begin(), f.end(), buf.get());
    return decode(byte_view(buf.get(), f.size()));
}

TEST(lacp_pdu_property, random_corruption_never_crashes_and_accepted_frames_round_trip) {
    std::mt19937_64 rng(0x1ac9);
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    const auto base = seeds();
    group g({.system_id = *mac_addr::parse("02:00:00:00:00:cc")});
    actions out;
    auto port = g.add_port({.mac = *mac_addr::parse("02:00:00:00:00:02"), .port_number = 9},
                           time_point{}, out);
    ASSERT_TRUE(port);
    g.set_link(*port, true, time_point{}, out);

    size_t accepted = 0, rejected = 0;
    time_point now{};
    for (int iter = 0; iter < 50'000; ++iter) {
        bytes f = base[pick(base.size())];
        int edits = 1 + static_cast<int>(pick(6));
        for (int e = 0; e < edits; ++e) {
            switch (pick(5)) {
            case 0: f[pick(f.size())] ^= static_cast<uint8_t>(1u << pick(8)); break;
            case 1: f[pick(f.size())] = static_cast<uint8_t>(rng()); break;
            case 2: f.resize(pick(f.size() + 1)); break;
            case 3: f.resize(f.size() + pick(64), static_cast<uint8_t>(rng())); break;
            case 4: // aim at the header and TLV type/length octets
                if (!f.empty()) {
                    static const size_t hot[] = {12, 13, 14, 15, 16, 17, 36, 37, 56, 57, 72, 73};
                    size_t at = hot[pick(std::size(hot))];
                    if (at < f.size())
                        f[at] = static_cast<uint8_t>(pick(4) == 0 ? rng() : pick(8));
                }
                break;
            }
            if (f.empty())
                break;
        }
        decoded d = decode_exact(f);
        if (auto* l = std::get_if<lacpdu>(&d)) {
            ++accepted;
            decoded again = decode(encode(*l).view());
            ASSERT_TRUE(std::holds_alternative<lacpdu>(again));
            lacpdu v1 = *l;
            v1.version = 1;
            EXPECT_EQ(std::get<lacpdu>(again), v1);
        } else if (auto* m = std::get_if<marker_pdu>(&d)) {
            ++accepted;
            decoded again = decode(encode(*m).view());
            ASSERT_TRUE(std::holds_alternative<marker_pdu>(again));
            marker_pdu v1 = *m;
            v1.version = 1;
            EXPECT_EQ(std::get<marker_pdu>(again), v1);
        } else {
            ++rejected;
        }
        // The machines take whatever got through.
        now += milliseconds(7);
        out.clear();
        g.on_frame(*port, f, now, out);
        g.tick(now, out);
    }
    // Both sides of the property were exercised.
    EXPECT_GT(accepted, 1000u);
    EXPECT_GT(rejected, 10'000u);
    EXPECT_EQ(g.counters(*port).illegal_rx, rejected);
}

} // namespace
} // namespace lag::lacp
