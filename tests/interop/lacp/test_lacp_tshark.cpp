// LACPDUs and Marker PDUs from lib/lacp's encoder, written to a pcap and read
// back by Debian's tshark: they must decode as LACP / Marker with our field
// values and without a malformed or expert-info field.
#include "lacp_sim.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace lag::lacp {
namespace {

struct captured {
    time_point at;
    bytes data;
};

// Classic libpcap format, LINKTYPE_ETHERNET.
void write_pcap(const std::filesystem::path& file, const std::vector<captured>& frames) {
    std::ofstream out(file, std::ios::binary);
    auto u32 = [&](uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
    auto u16 = [&](uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
    u32(0xa1b2c3d4);
    u16(2);
    u16(4);
    u32(0);
    u32(0);
    u32(65535);
    u32(1);
    for (const auto& f : frames) {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(f.at.since_epoch).count();
        u32(static_cast<uint32_t>(us / 1'000'000));
        u32(static_cast<uint32_t>(us % 1'000'000));
        u32(static_cast<uint32_t>(f.data.size()));
        u32(static_cast<uint32_t>(f.data.size()));
        out.write(reinterpret_cast<const char*>(f.data.data()), static_cast<std::streamsize>(f.data.size()));
    }
}

struct run_result {
    int status;
    std::string out;
};

run_result run(const std::string& cmd) {
    run_result r{-1, {}};
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p)
        return r;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        r.out.append(buf, n);
    r.status = ::pclose(p);
    return r;
}

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> v;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);)
        v.push_back(l);
    return v;
}

std::string tshark() {
    const char* t = std::getenv("TSHARK");
    return t ? t : "tshark";
}

struct tshark_check : ::testing::Test {
    std::filesystem::path file;
    void SetUp() override {
        file = std::filesystem::temp_directory_path() /
               ("lacp-tshark-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".pcap");
    }
    void TearDown() override { std::filesystem::remove(file); }

    // tshark -T fields with the given fields, one line per frame.
    std::vector<std::string> fields(const std::vector<std::string>& names, char sep = ' ') {
        std::string cmd = tshark() + " -n -r " + file.string() + " -T fields -E occurrence=f -E separator=" +
                          (sep == ' ' ? std::string("/s") : "'" + std::string(1, sep) + "'");
        for (const auto& n : names)
            cmd += " -e " + n;
        cmd += " 2>/dev/null";
        auto r = run(cmd);
        EXPECT_EQ(r.status, 0) << cmd;
        return lines(r.out);
    }
    // No frame carries an expert-info or malformed field, and -V shows none.
    void expect_clean(size_t frames) {
        auto f = fields({"frame.number", "_ws.expert", "_ws.malformed", "_ws.expert.message"}, '|');
        ASSERT_EQ(f.size(), frames);
        for (size_t i = 0; i < f.size(); ++i)
            EXPECT_EQ(f[i], std::to_string(i + 1) + "|||") << "expert/malformed field in frame " << i + 1;
        auto v = run(tshark() + " -n -r " + file.string() + " -V 2>/dev/null");
        ASSERT_EQ(v.status, 0);
        EXPECT_EQ(v.out.find("Malformed"), std::string::npos) << v.out;
        EXPECT_EQ(v.out.find("Expert Info"), std::string::npos) << v.out;
        EXPECT_EQ(v.out.find("not expected"), std::string::npos) << v.out;
    }
};

bytes to_bytes(const frame& f) { return bytes(f.data.begin(), f.data.end()); }

TEST_F(tshark_check, lacpdus_decode_with_our_field_values) {
    lacpdu a;
    a.source = *mac_addr::parse("02:00:00:00:0a:01");
    a.actor = {0x1234, *mac_addr::parse("02:00:00:00:0a:00"), 0x2001, 0x0080, 7,
               static_cast<uint8_t>(state_bit::lacp_activity | state_bit::lacp_timeout |
                                    state_bit::aggregation | state_bit::synchronization |
                                    state_bit::collecting | state_bit::distributing)};
    a.partner = {0x8000, *mac_addr::parse("02:00:00:00:0b:00"), 0x3005, 0x00ff, 0x0102,
                 static_cast<uint8_t>(state_bit::aggregation | state_bit::defaulted | state_bit::expired)};
    a.collector_max_delay = 10;
    lacpdu b = a;
    b.actor.port = 65535;
    b.actor.state = 0;
    b.partner = port_info{};
    write_pcap(file, {{time_point{}, to_bytes(encode(a))}, {time_point{} + seconds(1), to_bytes(encode(b))}});

    auto f = fields({"frame.protocols", "slow.subtype", "lacp.version", "lacp.actor.sys_priority",
                     "lacp.actor.sysid", "lacp.actor.key", "lacp.actor.port_priority", "lacp.actor.port",
                     "lacp.actor.state", "lacp.partner.sys_priority", "lacp.partner.sysid",
                     "lacp.partner.key", "lacp.partner.port_priority", "lacp.partner.port",
                     "lacp.partner.state", "lacp.collector.max_delay"});
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f[0], "eth:ethertype:slow:lacp 0x01 0x01 4660 02:00:00:00:0a:00 8193 128 7 0x3f "
                    "32768 02:00:00:00:0b:00 12293 255 258 0xc4 10");
    EXPECT_EQ(f[1], "eth:ethertype:slow:lacp 0x01 0x01 4660 02:00:00:00:0a:00 8193 128 65535 0x00 "
                    "0 00:00:00:00:00:00 0 0 0 0x00 10");
    auto flags = fields({"lacp.actor.state.synchronization", "lacp.actor.state.distributing",
                         "lacp.partner.state.defaulted", "lacp.partner.state.expired"});
    ASSERT_EQ(flags.size(), 2u);
    EXPECT_EQ(flags[0], "1 1 1 1");
    expect_clean(2);
}

TEST_F(tshark_check, marker_pdus_decode_with_our_field_values) {
    marker_pdu m;
    m.source = *mac_addr::parse("02:00:00:00:0a:01");
    m.requester_port = 3;
    m.requester_system = *mac_addr::parse("02:00:00:00:0a:00");
    m.requester_transaction_id = 0x01020304;
    marker_pdu r = m;
    r.response = true;
    write_pcap(file, {{time_point{}, to_bytes(encode(m))}, {time_point{} + milliseconds(1), to_bytes(encode(r))}});
    auto f = fields({"frame.protocols", "slow.subtype", "marker.version", "marker.tlvType", "marker.tlvLen",
                     "marker.requesterPort", "marker.requesterSystem", "marker.requesterTransId"});
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f[0], "eth:ethertype:slow:marker 0x02 0x01 0x01 0x10 3 02:00:00:00:0a:00 16909060");
    EXPECT_EQ(f[1], "eth:ethertype:slow:marker 0x02 0x01 0x02 0x10 3 02:00:00:00:0a:00 16909060");
    expect_clean(2);
}

// A whole conversation: two systems converge in virtual time; every frame
// either sent is captured and decoded.
TEST_F(tshark_check, a_converging_conversation_decodes_cleanly) {
    sim::network net;
    size_t a = net.add_group({.system_id = *mac_addr::parse("02:00:00:00:0a:00"), .key = 0x2001});
    size_t b = net.add_group({.mode = lacp_mode::passive, .system_id = *mac_addr::parse("02:00:00:00:0b:00"),
                              .key = 0x2001});
    for (uint16_t i = 0; i < 2; ++i) {
        net.add_port(a, {.mac = *mac_addr::parse("02:00:00:00:0a:0" + std::to_string(i + 1)),
                         .port_number = static_cast<uint16_t>(i + 1)});
        net.add_port(b, {.mac = *mac_addr::parse("02:00:00:00:0b:0" + std::to_string(i + 1)),
                         .port_number = static_cast<uint16_t>(i + 1)});
    }
    std::vector<captured> cap;
    net.observer = [&](size_t, const action& x) {
        if (x.kind == action_kind::transmit)
            cap.push_back({net.now(), to_bytes(x.tx)});
    };
    net.connect({a, 0}, {b, 0});
    net.connect({a, 1}, {b, 1});
    net.run_for(seconds(10));
    ASSERT_TRUE(net.distributing({a, 0}) && net.distributing({b, 1}));
    ASSERT_GT(cap.size(), 20u);
    write_pcap(file, cap);
    auto f = fields({"frame.protocols", "lacp.actor.state_str"});
    ASSERT_EQ(f.size(), cap.size());
    for (const auto& l : f)
        EXPECT_EQ(l.rfind("eth:ethertype:slow:lacp ", 0), 0u) << l;
    // The last frames show both ends collecting and distributing.
    auto st = fields({"lacp.actor.state.collecting", "lacp.actor.state.distributing",
                      "lacp.partner.state.distributing"});
    EXPECT_EQ(st.back(), "1 1 1");
    expect_clean(cap.size());
}

} // namespace
} // namespace lag::lacp
