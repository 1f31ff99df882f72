#include "common/bytes.hpp"
#include "common/mac_addr.hpp"
#include "common/result.hpp"
#include "common/secret.hpp"

#include <gtest/gtest.h>

namespace lag {
namespace {

TEST(mac_addr, parses_and_formats_round_trip) {
    auto m = mac_addr::parse("02:00:5E:10:00:01");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->to_string(), "02:00:5e:10:00:01");
    EXPECT_FALSE(m->is_multicast());
    EXPECT_TRUE(mac_addr::parse("01-80-c2-00-00-02")->is_multicast());
}

TEST(mac_addr, rejects_malformed) {
    EXPECT_FALSE(mac_addr::parse(""));
    EXPECT_FALSE(mac_addr::parse("02:00:5e:10:00"));
    EXPECT_FALSE(mac_addr::parse("02:00:5e:10:00:0g"));
    EXPECT_FALSE(mac_addr::parse("02:00:5e:10:00:011"));
    EXPECT_FALSE(mac_addr::parse("02.00.5e.10.00.01"));
}

TEST(bytes, big_endian_round_trip) {
    uint8_t b[8];
    store_be64(b, 0x0102030405060708ull);
    EXPECT_EQ(b[0], 1);
    EXPECT_EQ(b[7], 8);
    EXPECT_EQ(load_be64(b), 0x0102030405060708ull);
    store_be16(b, 0x8809);
    EXPECT_EQ(load_be16(b), 0x8809);
}

TEST(bytes, hex_round_trip_and_errors) {
    auto v = from_hex("00 01 fe FF");
    ASSERT_TRUE(v);
    EXPECT_EQ(to_hex(*v), "0001feff");
    EXPECT_FALSE(from_hex("abc"));
    EXPECT_FALSE(from_hex("zz"));
}

TEST(result, carries_value_or_error) {
    result<int> a = 3;
    result<int> b = make_error("rule", "broken");
    ASSERT_TRUE(a);
    EXPECT_EQ(*a, 3);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.err().to_string(), "rule: broken");
    result<void> c = ok_v;
    EXPECT_TRUE(c);
}

TEST(secret, compares_wipes_and_refuses_oversize) {
    const uint8_t k[] = {1, 2, 3, 4};
    secret<32> s{byte_view{k}};
    EXPECT_EQ(s.size(), 4u);
    EXPECT_TRUE(s.equals(k));
    s.clear();
    EXPECT_TRUE(s.empty());
    uint8_t big[33] = {};
    EXPECT_FALSE(s.assign(big));
    EXPECT_TRUE(s.empty());
}

} // namespace
} // namespace lag
