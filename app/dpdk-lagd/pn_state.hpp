#pragma once
// dpdk-lagd: the file behind macsec::pn_store (static keys' reserved
// transmit PNs, [lag.macsec] pn_state). Written whole each time: a temporary
// file beside it (mode 0600), fsync, rename over, fsync of the folder; a
// write returns only once the new text would survive a crash. The file names
// SAs by SCI, AN and key fingerprint, never a key.

#include "macsec/macsec.hpp"

#include <string>

namespace lag::lagd {

class pn_state_file final : public macsec::pn_storage {
public:
    explicit pn_state_file(std::string path) : _path(std::move(path)) {}
    result<std::optional<std::string>> read() override;
    result<void> write(std::string_view text) override;
    std::string name() const override { return _path; }

private:
    std::string _path;
};

} // namespace lag::lagd
