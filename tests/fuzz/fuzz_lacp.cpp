// libFuzzer target for lib/lacp: the codec and the machines behind it.
//   tests/fuzz/meson.build: scripts/fuzz.sh runs it under libFuzzer; suite
//   fuzz replays seeded mutations of corpus/lacp under g++.
//
// Input: the whole input is first decoded as one frame (the codec's
// properties below must hold). Then it is cut into records
// [len: 1 octet][port: 1][advance ms: 1][len octets of frame], fed to a
// two-port group, so the machines see arbitrary sequences of good and bad
// PDUs, link flaps and timer runs.
#include "lacp/lacp.hpp"

#include <cstdlib>

namespace {

using namespace lag;
using namespace lag::lacp;

void check(bool ok) {
    if (!ok)
        std::abort();
}

void codec_properties(byte_view in) {
    decoded d = decode(in);
    if (auto* l = std::get_if<lacpdu>(&d)) {
        lacpdu v1 = *l;
        v1.version = 1;
        decoded again = decode(encode(*l).view());
        check(std::holds_alternative<lacpdu>(again) && std::get<lacpdu>(again) == v1);
    } else if (auto* m = std::get_if<marker_pdu>(&d)) {
        marker_pdu v1 = *m;
        v1.version = 1;
        decoded again = decode(encode(*m).view());
        check(std::holds_alternative<marker_pdu>(again) && std::get<marker_pdu>(again) == v1);
    } else {
        check(static_cast<size_t>(std::get<parse_error>(d)) < parse_error_count);
    }
}

void drive_machines(byte_view in) {
    group g({.system_id = *mac_addr::parse("02:00:00:00:0a:00"), .key = 1});
    actions out;
    time_point now{};
    (void)g.add_port({.mac = *mac_addr::parse("02:00:00:00:0a:01"), .port_number = 1}, now, out);
    (void)g.add_port({.mac = *mac_addr::parse("02:00:00:00:0a:02"), .port_number = 2}, now, out);
    g.set_link(0, true, now, out);
    g.set_link(1, true, now, out);
    size_t at = 0;
    while (at + 3 <= in.size()) {
        size_t len = in[at];
        uint16_t port = in[at + 1] & 1;
        uint8_t ctl = in[at + 2];
        at += 3;
        now += milliseconds(ctl & 0x7f);
        if (ctl & 0x80)
            g.set_link(port, (ctl & 1) != 0, now, out);
        len = std::min(len, in.size() - at);
        g.on_frame(port, in.subspan(at, len), now, out);
        at += len;
        g.tick(now, out);
        for (const auto& a : out) {
            check(a.port < 2);
            if (a.kind == action_kind::transmit)
                check(!std::holds_alternative<parse_error>(decode(a.tx.view())));
        }
        out.clear();
        for (uint16_t p = 0; p < 2; ++p) {
            auto s = g.status(p);
            if (s.distributing)
                check(s.selected == selected_state::selected && s.mux == mux_state::collecting_distributing);
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    byte_view in(data, size);
    codec_properties(in);
    drive_machines(in);
    return 0;
}
