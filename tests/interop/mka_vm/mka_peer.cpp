// Test tool for the interop suite: one lib/mka participant on a Linux
// interface through an AF_PACKET socket (no DPDK, no MACsec data path), so
// that lib/mka's protocol can be held against wpa_supplicant's KaY in the
// peer VM before and beside dpdk-lagd. Prints one line per event (peers,
// key server, SAs installed/enabled/retired by KI and AN, secured, frames
// refused with lib/mka's drop reason) and its counters at the end. Never
// prints key material.
//
//   mka-peer IFACE CAK_FILE CKN_HEX PRIORITY SUITE[,SUITE...] SECONDS [REKEY_AT...]
//
// CAK_FILE holds the CAK in hex. At each REKEY_AT second the participant
// reports a transmit PN past the rotation threshold (as the data path does
// near PN exhaustion): as key server it distributes a new SAK, otherwise
// its SAK Use asks the key server for one.

#include "mka/ipsecmb_crypto.hpp"
#include "mka/mka.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace lag;
using namespace lag::mka;

namespace {

time_point now() {
    return {std::chrono::duration_cast<duration>(std::chrono::steady_clock::now().time_since_epoch())};
}

std::string ki_str(const key_identifier& ki) { return to_hex(ki.mi) + "/" + std::to_string(ki.kn); }

void print(double t, const actions& a) {
    for (const auto& x : a.list) {
        if (auto* p = std::get_if<install_rx_sa>(&x))
            std::printf("%.2f install-rx peer %s ki %s an %u suite %s ssci %u\n", t, p->peer.to_string().c_str(),
                        ki_str(p->key.ki).c_str(), p->key.an, std::string(to_string(p->key.suite)).c_str(), p->ssci);
        else if (auto* p = std::get_if<install_tx_sa>(&x))
            std::printf("%.2f install-tx ki %s an %u suite %s\n", t, ki_str(p->key.ki).c_str(), p->key.an,
                        std::string(to_string(p->key.suite)).c_str());
        else if (auto* p = std::get_if<enable_tx_sa>(&x))
            std::printf("%.2f enable-tx ki %s an %u\n", t, ki_str(p->ki).c_str(), p->an);
        else if (auto* p = std::get_if<retire_sa>(&x))
            std::printf("%.2f retire ki %s an %u\n", t, ki_str(p->ki).c_str(), p->an);
        else if (auto* p = std::get_if<secured_changed>(&x))
            std::printf("%.2f secured %d\n", t, p->secured ? 1 : 0);
        else if (auto* p = std::get_if<peer_changed>(&x))
            std::printf("%.2f peer %s %s mi %s\n", t, p->live ? "live" : "left", p->peer.to_string().c_str(),
                        to_hex(p->mi).c_str());
        else if (auto* p = std::get_if<key_server_changed>(&x))
            std::printf("%.2f key-server %s %s\n", t, p->we_are_key_server ? "self" : "peer",
                        p->key_server.to_string().c_str());
    }
    if (a.dropped)
        std::printf("%.2f drop %s\n", t, std::string(to_string(*a.dropped)).c_str());
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 7) {
        std::fprintf(stderr, "usage: %s IFACE CAK_FILE CKN_HEX PRIORITY SUITES SECONDS [REKEY_AT...]\n", argv[0]);
        return 2;
    }
    std::string cak_hex;
    std::ifstream(argv[2]) >> cak_hex;
    auto cak = from_hex(cak_hex);
    auto ckn = from_hex(argv[3]);
    if (!cak || !ckn) {
        std::fprintf(stderr, "mka-peer: CAK file or CKN is not hex\n");
        return 2;
    }
    participant_config cfg;
    cfg.ckn = *ckn;
    cfg.cak.assign(*cak);
    secure_wipe(cak->data(), cak->size());
    secure_wipe(cak_hex.data(), cak_hex.size());
    cfg.key_server_priority = static_cast<uint8_t>(std::atoi(argv[4]));
    cfg.cipher_suites.clear();
    for (std::string_view list = argv[5]; !list.empty();) {
        auto comma = list.find(',');
        auto s = parse_cipher_suite(list.substr(0, comma));
        if (!s) {
            std::fprintf(stderr, "mka-peer: unknown suite\n");
            return 2;
        }
        cfg.cipher_suites.push_back(*s);
        list = comma == std::string_view::npos ? "" : list.substr(comma + 1);
    }
    const double seconds_to_run = std::atof(argv[6]);
    std::vector<double> rekeys;
    for (int i = 7; i < argc; ++i)
        rekeys.push_back(std::atof(argv[i]));

    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_PAE));
    if (fd < 0) {
        std::perror("mka-peer: socket");
        return 1;
    }
    const unsigned ifindex = if_nametoindex(argv[1]);
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", argv[1]);
    if (ifindex == 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
        std::fprintf(stderr, "mka-peer: no interface %s\n", argv[1]);
        return 1;
    }
    std::memcpy(cfg.mac.bytes.data(), ifr.ifr_hwaddr.sa_data, 6);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_PAE);
    sll.sll_ifindex = static_cast<int>(ifindex);
    packet_mreq mr{};
    mr.mr_ifindex = static_cast<int>(ifindex);
    mr.mr_type = PACKET_MR_MULTICAST;
    mr.mr_alen = 6;
    std::memcpy(mr.mr_address, pae_group_address.bytes.data(), 6);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0) {
        std::perror("mka-peer: bind");
        return 1;
    }

    auto crypto = ipsecmb_crypto::create();
    if (!crypto) {
        std::fprintf(stderr, "mka-peer: crypto: %s\n", crypto.err().message.c_str());
        return 1;
    }
    const time_point t0 = now();
    auto p = participant::create(std::move(cfg), *crypto.value(), t0);
    if (!p) {
        std::fprintf(stderr, "mka-peer: %s\n", p.err().message.c_str());
        return 1;
    }
    auto& part = p.value();
    std::printf("0.00 start sci %s\n", part.own_sci().to_string().c_str());
    auto sendall = [&](const actions& a) {
        for (const auto& x : a.list)
            if (auto* s = std::get_if<send_mkpdu>(&x))
                if (send(fd, s->frame.data(), s->frame.size(), 0) < 0)
                    std::perror("mka-peer: send");
    };
    std::vector<uint8_t> buf(2048);
    for (;;) {
        const time_point t = now();
        const double secs = std::chrono::duration<double>(t - t0).count();
        if (secs >= seconds_to_run)
            break;
        if (!rekeys.empty() && secs >= rekeys.front()) {
            rekeys.erase(rekeys.begin());
            std::printf("%.2f rekey-request\n", secs);
            auto a = part.request_new_sak(t);
            print(secs, a);
            sendall(a);
        }
        auto a = part.tick(t);
        print(secs, a);
        sendall(a);
        pollfd pfd{fd, POLLIN, 0};
        if (poll(&pfd, 1, 50) > 0) {
            sockaddr_ll from{};
            socklen_t fl = sizeof from;
            ssize_t n = recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
            if (n > 0 && from.sll_pkttype != PACKET_OUTGOING) {
                const time_point tr = now();
                auto r = part.on_mkpdu({buf.data(), static_cast<size_t>(n)}, tr);
                print(std::chrono::duration<double>(tr - t0).count(), r);
                sendall(r);
            }
        }
    }
    const auto& c = part.counters();
    std::printf("end secured %d live %zu sent %llu accepted %llu saks_generated %llu saks_installed %llu drops",
                part.secured() ? 1 : 0, part.live_peer_count(), (unsigned long long)c.mkpdus_sent,
                (unsigned long long)c.mkpdus_accepted, (unsigned long long)c.saks_generated,
                (unsigned long long)c.saks_installed);
    for (size_t i = 0; i < drop_reason_count; ++i)
        if (c.dropped[i])
            std::printf(" %s=%llu", std::string(to_string(static_cast<drop_reason>(i))).c_str(),
                        (unsigned long long)c.dropped[i]);
    std::printf("\n");
    close(fd);
    return 0;
}
