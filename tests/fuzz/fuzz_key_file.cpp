// Fuzz target: the static MACsec key file and the MKA CAK file
// (app/dpdk-lagd/macsec_config: load_key_file, load_cak_file), whose
// contents come from whoever can write them. Each input is written to one
// private file (mode 0600) and read by both loaders.
//
// Properties: a refusal has a rule code and a message; no message quotes key
// material (a run of 16 or more hex digits of a key); a CAK read is 16
// or 32 octets; every key read is at most 32 octets.
#include "macsec_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

const std::string& path() {
    static const std::string p = [] {
        char tmpl[] = "/tmp/fuzz_key_file.XXXXXX";
        int fd = mkstemp(tmpl);
        check(fd >= 0);
        close(fd);
        return std::string(tmpl);
    }();
    return p;
}

// No error message may carry a hex run of the input (key material) of 16 or
// more digits. In a key file only values are keys (what follows '=' on its
// line; a key's name may be quoted), in a CAK file everything is.
void no_key_in(std::string_view msg, std::string_view in, bool values_only) {
    bool value = !values_only;
    size_t i = 0;
    while (i < in.size()) {
        if (in[i] == '\n')
            value = !values_only;
        else if (in[i] == '=')
            value = true;
        if (!std::isxdigit(static_cast<unsigned char>(in[i]))) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < in.size() && std::isxdigit(static_cast<unsigned char>(in[j])))
            ++j;
        if (value && j - i >= 16) {
            // Unless the key's name (before '=' on its line) holds the same digits.
            const size_t bol = in.rfind('\n', i) == std::string_view::npos ? 0 : in.rfind('\n', i) + 1;
            const std::string_view name = in.substr(bol, in.find('=', bol) - bol);
            const std::string_view run = in.substr(i, j - i);
            if (!values_only || name.find(run) == std::string_view::npos)
                check(msg.find(run.substr(0, 16)) == std::string_view::npos);
        }
        i = j;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const int cleanup = std::atexit([] { unlink(path().c_str()); });
    (void)cleanup;
    int fd = open(path().c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    check(fd >= 0);
    check(fchmod(fd, 0600) == 0);
    check(write(fd, data, size) == static_cast<ssize_t>(size));
    close(fd);
    std::string_view in(reinterpret_cast<const char*>(data), size);

    auto keys = lag::lagd::load_key_file(path());
    if (keys) {
        for (const auto& [name, k] : *keys)
            check(k.view().size() <= 32);
    } else {
        check(!keys.err().code.empty() && !keys.err().message.empty());
        no_key_in(keys.err().message, in, true);
    }
    auto cak = lag::lagd::load_cak_file(path());
    if (cak) {
        check(cak->view().size() == 16 || cak->view().size() == 32);
    } else {
        check(!cak.err().code.empty() && !cak.err().message.empty());
        no_key_in(cak.err().message, in, false);
    }
    return 0;
}
