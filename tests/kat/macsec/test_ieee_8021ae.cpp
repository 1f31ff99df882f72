// IEEE 802.1AE-2018 Annex C test vectors, byte for byte, through the whole
// SecY data path (protect builds the SecTAG, IV, AAD and ICV; verify parses,
// checks, decrypts and strips).
//
// Source of the vectors: IEEE 802.1AE-2018 Annex C ("MACsec test vectors",
// C.1 to C.8, first published as bn-randall-test-vectors-0511-v1.pdf), as
// transcribed in DPDK's app/test/test_security_inline_macsec_vectors.h
// (list_mcs_cipher_vectors and list_mcs_integrity_vectors). The two GCM-AES-128
// ones also open ipsec-mb's test/kat-app/gcm_test.json.c. Every case:
//   integrity only:   54 (C.1), 60 (C.2), 65 (C.3), 79 (C.4) octets
//   confidentiality:  54 (C.5), 60 (C.6), 61 (C.7), 75 (C.8) octets
// for GCM-AES-128, GCM-AES-256, GCM-AES-XPN-128 and GCM-AES-XPN-256 (32 cases).
// XPN cases: SSCI 0x7A30C118, salt E630E81A48DE86A21C66FA6D, and the PN's
// high 32 bits 0xB0DF459C.

#include <gtest/gtest.h>

#include "common/bytes.hpp"
#include "macsec/macsec.hpp"
#include "annex_c_vectors.hpp"

using namespace lag;
using namespace lag::macsec;
using namespace lag::macsec::annex_c;

namespace {

struct buffer {
    explicit buffer(const bytes& content) : store(64 + content.size() + 64) {
        std::copy(content.begin(), content.end(), store.begin() + 64);
        f.data = store.data() + 64;
        f.len = static_cast<uint32_t>(content.size());
        f.headroom = 64;
        f.tailroom = 64;
    }
    bytes contents() const { return bytes(f.data, f.data + f.len); }
    bytes store;
    frame f;
};

class ieee_vectors : public ::testing::TestWithParam<vector> {
protected:
    void SetUp() override {
        auto r = crypto::engine::create();
        ASSERT_TRUE(r.ok());
        eng = std::move(r.value());
    }
    std::unique_ptr<crypto::engine> eng;
};

} // namespace

TEST_P(ieee_vectors, protect_and_verify_byte_for_byte) {
    const vector& v = GetParam();
    const frame_shape& s = *v.shape;
    const bytes plain = plain_frame(s.da, s.sa, s.last, s.seq);
    const bytes tag = hx(s.sectag);
    const uint8_t tci = tag[2];
    const uint8_t an = tci & 0x03;
    const uint64_t pn = load_be32(&tag[4]) | (is_xpn(v.suite) ? xpn_pn_high : 0);

    bytes expected(plain.begin(), plain.begin() + 12);
    expected.insert(expected.end(), tag.begin(), tag.end());
    if (v.secure_data != nullptr) {
        auto sd = hx(v.secure_data);
        ASSERT_EQ(sd.size(), plain.size() - 12) << case_name(v);
        expected.insert(expected.end(), sd.begin(), sd.end());
    } else {
        expected.insert(expected.end(), plain.begin() + 12, plain.end());
    }
    auto icv = hx(v.icv);
    expected.insert(expected.end(), icv.begin(), icv.end());

    secy_config cfg;
    cfg.sci = s.sci;
    cfg.suite = v.suite;
    cfg.confidentiality = (tci & tci::e) != 0;
    cfg.include_sci = (tci & tci::sc) != 0;
    cfg.use_es = (tci & tci::es) != 0;
    sa_params p;
    p.suite = v.suite;
    ASSERT_TRUE(p.key.assign(hx(v.key)));
    p.ssci = xpn_ssci;
    p.salt = xpn_salt;
    p.next_pn = pn;

    // Transmit.
    auto tx = secy::create(cfg);
    ASSERT_TRUE(tx.ok()) << tx.err().to_string();
    auto txsa = tx_sa::create(*eng, an, p);
    ASSERT_TRUE(txsa.ok()) << txsa.err().to_string();
    ASSERT_TRUE((*tx)->install_tx_sa(std::move(txsa.value())).ok());
    ASSERT_TRUE((*tx)->set_encoding_sa(an).ok());
    buffer b(plain);
    ASSERT_EQ((*tx)->protect(*eng, b.f), tx_status::protected_frame) << case_name(v);
    EXPECT_EQ(to_hex(b.contents()), to_hex(expected)) << case_name(v);
    const auto tc = (*tx)->tx_totals();
    EXPECT_EQ(tc.out_pkts_encrypted, cfg.confidentiality ? 1u : 0u);
    EXPECT_EQ(tc.out_pkts_protected, cfg.confidentiality ? 0u : 1u);
    EXPECT_EQ((*tx)->encoding_sa()->next_pn(), pn + 1);

    // Receive the published frame (not ours) on a SecY keyed the same way.
    secy_config rcfg = cfg;
    rcfg.sci = 0x0200000000000001ull;
    auto rx = secy::create(rcfg);
    ASSERT_TRUE(rx.ok());
    ASSERT_TRUE((*rx)->add_rx_sc(s.sci).ok());
    auto rxsa = rx_sa::create(*eng, an, p);
    ASSERT_TRUE(rxsa.ok());
    ASSERT_TRUE((*rx)->install_rx_sa(s.sci, std::move(rxsa.value())).ok());
    buffer r(expected);
    ASSERT_EQ((*rx)->verify(*eng, r.f), rx_status::ok) << case_name(v);
    EXPECT_EQ(r.contents(), plain) << case_name(v);
    EXPECT_EQ((*rx)->rx_sc_stats(s.sci)->in_pkts_ok, 1u);
    EXPECT_EQ((*rx)->rx(s.sci, an)->counters().in_pkts_ok, 1u);
    EXPECT_EQ((*rx)->rx(s.sci, an)->replay().next_pn(), pn + 1);

    // The same frame with any one octet of SecTAG, secure data or ICV changed
    // is dropped as not valid (a changed SecTAG may also fail earlier).
    for (size_t i = 12; i < expected.size(); ++i) {
        bytes bad = expected;
        bad[i] ^= 0x20;
        auto rx2 = secy::create(rcfg);
        ASSERT_TRUE((*rx2)->add_rx_sc(s.sci).ok());
        auto sa2 = rx_sa::create(*eng, an, p);
        ASSERT_TRUE((*rx2)->install_rx_sa(s.sci, std::move(sa2.value())).ok());
        buffer rb(bad);
        const rx_status st = (*rx2)->verify(*eng, rb.f);
        EXPECT_FALSE(delivered(st)) << case_name(v) << " octet " << i;
        if (i >= 12 + tag.size()) {
            EXPECT_EQ(st, rx_status::drop_not_valid) << case_name(v) << " octet " << i;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(annex_c, ieee_vectors, ::testing::ValuesIn(vectors),
                         [](const ::testing::TestParamInfo<vector>& i) {
                             std::string n = case_name(i.param);
                             for (auto& ch : n)
                                 if (!isalnum(static_cast<unsigned char>(ch)))
                                     ch = '_';
                             return n;
                         });

TEST(ieee_vectors_table, covers_every_suite_and_frame) {
    EXPECT_EQ(std::size(vectors), 32u);
}
