// LACPDU and Marker PDU codec: known frames, round trips, every parse error.
#include "lacp/lacp.hpp"

#include <gtest/gtest.h>

namespace lag::lacp {
namespace {

bytes hex(std::string_view s) {
    auto b = from_hex(s);
    EXPECT_TRUE(b.has_value()) << s;
    return b.value_or(bytes{});
}

// A LACPDU as a Linux bonding port sends it once collecting and distributing
// (layout of 802.1AX-2014 figure 6-7, 124 octets with no FCS).
const char* const linux_lacpdu =
    "0180c2000002 001b213c9df8 8809 01 01"
    "01 14 ffff 001b213c9df8 0011 00ff 0002 3d 000000"   // actor
    "02 14 8000 0090fb4a2c01 0021 8000 0007 3f 000000"   // partner
    "03 10 0005 000000000000000000000000"                // collector
    "00 00"                                              // terminator
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

TEST(lacp_pdu, decodes_a_captured_style_lacpdu_field_by_field) {
    bytes f = hex(linux_lacpdu);
    ASSERT_EQ(f.size(), frame_len);
    decoded d = decode(f);
    ASSERT_TRUE(std::holds_alternative<lacpdu>(d)) << to_string(std::get<parse_error>(d));
    const lacpdu& p = std::get<lacpdu>(d);
    EXPECT_EQ(p.source.to_string(), "00:1b:21:3c:9d:f8");
    EXPECT_EQ(p.version, 1);
    EXPECT_EQ(p.actor.system_priority, 0xffff);
    EXPECT_EQ(p.actor.system.to_string(), "00:1b:21:3c:9d:f8");
    EXPECT_EQ(p.actor.key, 0x0011);
    EXPECT_EQ(p.actor.port_priority, 0x00ff);
    EXPECT_EQ(p.actor.port, 2);
    EXPECT_EQ(p.actor.state, 0x3d);
    EXPECT_EQ(format_state(p.actor.state), "A.GSCD..");
    EXPECT_EQ(p.partner.system_priority, 0x8000);
    EXPECT_EQ(p.partner.system.to_string(), "00:90:fb:4a:2c:01");
    EXPECT_EQ(p.partner.key, 0x0021);
    EXPECT_EQ(p.partner.port_priority, 0x8000);
    EXPECT_EQ(p.partner.port, 7);
    EXPECT_EQ(p.partner.state, 0x3f);
    EXPECT_EQ(p.collector_max_delay, 5);
    // Re-encoding gives the same octets back.
    frame again = encode(p);
    EXPECT_EQ(to_hex(again.view()), to_hex(f));
}

TEST(lacp_pdu, lacpdu_round_trip_keeps_every_field) {
    lacpdu p;
    p.source = *mac_addr::parse("02:00:00:00:00:01");
    p.actor = {0x1234, *mac_addr::parse("02:00:00:00:00:aa"), 0x2001, 0x0080, 0x0101, 0xc7};
    p.partner = {0x8000, *mac_addr::parse("02:00:00:00:00:bb"), 0x2002, 0x00ff, 0x0202, 0x38};
    p.collector_max_delay = 0xbeef;
    frame f = encode(p);
    EXPECT_EQ(f.data.size(), 124u);
    decoded d = decode(f.view());
    ASSERT_TRUE(std::holds_alternative<lacpdu>(d));
    EXPECT_EQ(std::get<lacpdu>(d), p);
    // Reserved octets and the terminator are zero.
    for (size_t i = 72; i < f.data.size(); ++i)
        EXPECT_EQ(f.data[i], 0) << "octet " << i;
}

TEST(lacp_pdu, marker_round_trip_and_known_layout) {
    marker_pdu m;
    m.source = *mac_addr::parse("02:00:00:00:00:01");
    m.requester_port = 3;
    m.requester_system = *mac_addr::parse("02:00:00:00:00:aa");
    m.requester_transaction_id = 0xdeadbeef;
    frame f = encode(m);
    EXPECT_EQ(to_hex(byte_view(f.data).subspan(0, 34)),
              "0180c2000002020000000001880902010110000302000000"
              "00aadeadbeef00000000");
    decoded d = decode(f.view());
    ASSERT_TRUE(std::holds_alternative<marker_pdu>(d));
    EXPECT_EQ(std::get<marker_pdu>(d), m);
    m.response = true;
    f = encode(m);
    EXPECT_EQ(f.data[16], tlv_marker_response);
    d = decode(f.view());
    ASSERT_TRUE(std::holds_alternative<marker_pdu>(d));
    EXPECT_TRUE(std::get<marker_pdu>(d).response);
}

TEST(lacp_pdu, accepts_padding_after_a_version_1_pdu) {
    bytes f = hex(linux_lacpdu);
    f.resize(f.size() + 4, 0xaa); // e.g. an FCS left on by the driver
    EXPECT_TRUE(std::holds_alternative<lacpdu>(decode(f)));
}

// Version 2 (802.1AX-2014): extra TLVs after the Collector TLV are walked and
// ignored; the version 1 fields are still read.
TEST(lacp_pdu, accepts_and_ignores_version_2_tlvs) {
    bytes f = hex(linux_lacpdu);
    f[15] = 2;
    // Port Algorithm TLV (type 4, length 6) and Port Conversation ID Digest
    // TLV (type 5, length 20) where the terminator was, then the terminator.
    bytes tlvs = hex("04 06 0080c201"
                     "05 14 00112233445566778899aabbccddeeff0000"
                     "00 00");
    ASSERT_EQ(tlvs.size(), 28u);
    std::copy(tlvs.begin(), tlvs.end(), f.begin() + 72);
    decoded d = decode(f);
    ASSERT_TRUE(std::holds_alternative<lacpdu>(d)) << to_string(std::get<parse_error>(d));
    EXPECT_EQ(std::get<lacpdu>(d).version, 2);
    EXPECT_EQ(std::get<lacpdu>(d).actor.port, 2);
}

struct malformed_case {
    const char* name;
    parse_error expect;
    void (*mutate)(bytes&);
};

const malformed_case malformed_cases[] = {
    {"empty", parse_error::too_short, [](bytes& f) { f.clear(); }},
    {"header only", parse_error::too_short, [](bytes& f) { f.resize(15); }},
    {"truncated pdu", parse_error::too_short, [](bytes& f) { f.resize(100); }},
    {"one octet short", parse_error::too_short, [](bytes& f) { f.resize(123); }},
    {"jumbo", parse_error::too_long, [](bytes& f) { f.resize(1515); }},
    {"unicast destination", parse_error::bad_destination, [](bytes& f) { f[0] = 0x02; }},
    {"other group address", parse_error::bad_destination, [](bytes& f) { f[5] = 0x03; }},
    {"multicast source", parse_error::bad_source, [](bytes& f) { f[6] = 0x01; }},
    {"zero source", parse_error::bad_source,
     [](bytes& f) { std::fill(f.begin() + 6, f.begin() + 12, 0); }},
    {"ipv4 ethertype", parse_error::not_slow_protocols, [](bytes& f) { f[12] = 0x08, f[13] = 0x00; }},
    {"vlan tagged", parse_error::not_slow_protocols, [](bytes& f) { f[12] = 0x81, f[13] = 0x00; }},
    {"OAM subtype", parse_error::unknown_subtype, [](bytes& f) { f[14] = 0x03; }},
    {"OSSP subtype", parse_error::unknown_subtype, [](bytes& f) { f[14] = 0x0a; }},
    {"subtype 0", parse_error::unknown_subtype, [](bytes& f) { f[14] = 0x00; }},
    {"version 0", parse_error::bad_version, [](bytes& f) { f[15] = 0; }},
    {"actor tlv type", parse_error::bad_actor_tlv_type, [](bytes& f) { f[16] = 0x02; }},
    {"actor tlv length", parse_error::bad_actor_tlv_length, [](bytes& f) { f[17] = 19; }},
    {"partner tlv type", parse_error::bad_partner_tlv_type, [](bytes& f) { f[36] = 0x01; }},
    {"partner tlv length", parse_error::bad_partner_tlv_length, [](bytes& f) { f[37] = 21; }},
    {"collector tlv type", parse_error::bad_collector_tlv_type, [](bytes& f) { f[56] = 0x04; }},
    {"collector tlv length", parse_error::bad_collector_tlv_length, [](bytes& f) { f[57] = 0; }},
    {"terminator type", parse_error::bad_terminator, [](bytes& f) { f[72] = 0x04; }},
    {"terminator length", parse_error::bad_terminator, [](bytes& f) { f[73] = 0x02; }},
    {"v2 tlv length 0", parse_error::bad_tlv_length,
     [](bytes& f) { f[15] = 2, f[72] = 0x04, f[73] = 0x00; }},
    {"v2 tlv length 1", parse_error::bad_tlv_length,
     [](bytes& f) { f[15] = 2, f[72] = 0x04, f[73] = 0x01; }},
    {"v2 tlv past the end", parse_error::bad_tlv_length,
     [](bytes& f) { f[15] = 2, f[72] = 0x04, f[73] = 0xff; }},
    {"v2 no terminator", parse_error::missing_terminator, [](bytes& f) {
         f[15] = 2;
         for (size_t at = 72; at + 2 <= f.size(); at += 2)
             f[at] = 0x7f, f[at + 1] = 0x02;
     }},
};

TEST(lacp_pdu, every_malformed_class_is_a_named_error) {
    for (const auto& c : malformed_cases) {
        bytes f = hex(linux_lacpdu);
        c.mutate(f);
        decoded d = decode(f);
        ASSERT_TRUE(std::holds_alternative<parse_error>(d)) << c.name << ": accepted";
        EXPECT_EQ(std::get<parse_error>(d), c.expect)
            << c.name << ": got " << to_string(std::get<parse_error>(d));
    }
}

TEST(lacp_pdu, every_marker_malformed_class_is_a_named_error) {
    marker_pdu m;
    m.source = *mac_addr::parse("02:00:00:00:00:01");
    const frame encoded = encode(m);
    bytes good(encoded.data.begin(), encoded.data.end());
    struct {
        size_t at;
        uint8_t v;
        parse_error e;
    } cases[] = {
        {15, 0, parse_error::bad_version},
        {16, 0x03, parse_error::bad_marker_tlv_type},
        {16, 0x00, parse_error::bad_marker_tlv_type},
        {17, 15, parse_error::bad_marker_tlv_length},
        {32, 0x01, parse_error::bad_terminator},
        {33, 0x10, parse_error::bad_terminator},
    };
    for (const auto& c : cases) {
        bytes f = good;
        f[c.at] = c.v;
        decoded d = decode(f);
        ASSERT_TRUE(std::holds_alternative<parse_error>(d)) << "octet " << c.at;
        EXPECT_EQ(std::get<parse_error>(d), c.e) << "octet " << c.at;
    }
    bytes shorter(good.begin(), good.begin() + 60);
    EXPECT_EQ(std::get<parse_error>(decode(shorter)), parse_error::too_short);
}

TEST(lacp_pdu, every_error_has_a_name_and_a_description) {
    for (size_t i = 0; i < parse_error_count; ++i) {
        auto e = static_cast<parse_error>(i);
        EXPECT_NE(to_string(e), "?");
        EXPECT_NE(describe(e), "?");
    }
}

// The group counts each dropped frame under its reason.
TEST(lacp_pdu, group_counts_drops_per_reason) {
    group g({.system_id = *mac_addr::parse("02:00:00:00:00:aa")});
    actions out;
    auto port = g.add_port({.mac = *mac_addr::parse("02:00:00:00:00:01"), .port_number = 1},
                           time_point{}, out);
    ASSERT_TRUE(port);
    g.set_link(*port, true, time_point{}, out);
    size_t n = 0;
    for (const auto& c : malformed_cases) {
        bytes f = hex(linux_lacpdu);
        c.mutate(f);
        auto e = g.on_frame(*port, f, time_point{}, out);
        ASSERT_TRUE(e.has_value()) << c.name;
        EXPECT_EQ(*e, c.expect);
        ++n;
    }
    const port_counters& k = g.counters(*port);
    EXPECT_EQ(k.illegal_rx, n);
    EXPECT_EQ(k.error(parse_error::too_short), 4u);
    EXPECT_EQ(k.error(parse_error::bad_terminator), 2u);
    EXPECT_EQ(k.error(parse_error::bad_actor_tlv_type), 1u);
    EXPECT_EQ(k.lacpdus_rx, 0u);
}

} // namespace
} // namespace lag::lacp
