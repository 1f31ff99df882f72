// Fuzz target: an MKPDU as received (lib/mka's decoder), and the encoder on
// what it decoded.
//
// Properties: every input is either decoded or refused with one of the
// codec's own drop reasons (never a participant-level one), which has a
// name. A decoded frame's ICV-covered view starts at the frame and ends
// where its 16 ICV octets are, inside the frame; its CKN is 1..32 octets,
// its peer lists and wrapped SAK fit their sets. Encoded again (unsigned)
// and decoded, it gives the same MKPDU: nothing the decoder accepts is lost
// or changed by the encoder.
#include "mka/mka.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace lag::mka;
    // An exact-size copy, so that ASan sees any read past the end.
    std::unique_ptr<uint8_t[]> buf(new uint8_t[size ? size : 1]);
    if (size)
        std::memcpy(buf.get(), data, size);
    std::span<const uint8_t> frame(buf.get(), size);
    auto r = decode_frame(frame);
    if (!r) {
        check(r.reason() < drop_reason::unknown_ckn); // the codec's reasons only
        check(!to_string(r.reason()).empty());
        return 0;
    }
    const decoded_frame& d = r.value();
    check(d.icv_covered.data() == frame.data());
    check(d.icv_covered.size() + icv_len <= frame.size());
    check(std::memcmp(d.icv.data(), frame.data() + d.icv_covered.size(), icv_len) == 0);
    const mkpdu& pdu = d.pdu;
    check(pdu.basic.ckn.len >= 1 && pdu.basic.ckn.len <= 32);
    const size_t body = d.icv_covered.size() + icv_len - 18;
    if (pdu.live)
        check(pdu.live->peers.size() * 16 <= body);
    if (pdu.potential)
        check(pdu.potential->peers.size() * 16 <= body);
    if (pdu.distributed_sak)
        check(pdu.distributed_sak->wrapped_len == 0 || pdu.distributed_sak->wrapped_len == 24 ||
              pdu.distributed_sak->wrapped_len == 40);

    const auto again = encode_frame_unsigned(pdu, d.src, d.dst);
    check(!again.empty());
    auto r2 = decode_frame(again, d.dst);
    check(r2.ok());
    check(r2.value().pdu == pdu);
    return 0;
}
