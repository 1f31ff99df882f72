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

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

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
// line), and a message may quote a key's name: the names are taken out of
// the message first. In a CAK file everything is key.
void no_key_in(std::string_view message, std::string_view in, bool values_only) {
    std::string msg(message);
    std::vector<std::string_view> names;   // trimmed, taken out of the message
    std::vector<std::string_view> regions; // each line's raw text before its '='
    if (values_only) {
        // Longest first, each replaced by a non-hex octet: a shorter name
        // inside a longer one must not break the longer one's quote apart
        // (found by the long run: corpus/key_file/name-inside-name).
        for (size_t bol = 0; bol < in.size();) {
            size_t eol = in.find('\n', bol);
            if (eol == std::string_view::npos)
                eol = in.size();
            const std::string_view line = in.substr(bol, eol - bol);
            if (size_t eq = line.find('='); eq != std::string_view::npos) {
                regions.push_back(line.substr(0, eq));
                std::string_view name = line.substr(0, eq);
                while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front())))
                    name.remove_prefix(1);
                while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back())))
                    name.remove_suffix(1);
                if (!name.empty())
                    names.push_back(name);
            }
            bol = eol + 1;
        }
        std::sort(names.begin(), names.end(), [](auto a, auto b) { return a.size() > b.size(); });
        // The search goes on past each replacement: a name that is the
        // replacement itself ("'") must not be found again forever (found
        // by test.sh's fuzz stage: corpus/key_file/name-is-the-quote).
        for (std::string_view name : names)
            for (size_t at = 0; (at = msg.find(name, at)) != std::string::npos; ++at)
                msg.replace(at, name.size(), 1, '\'');
    }
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
        // Every 16-digit window of the run: a message may hold those digits
        // only where they are also a name's (a name quoted as the daemon
        // saw it, control octets and all: corpus/key_file/name-repeats-key).
        for (size_t k = i; value && k + 16 <= j; ++k) {
            const std::string_view run = in.substr(k, 16);
            if (msg.find(run) == std::string::npos)
                continue;
            bool in_a_name = false;
            for (std::string_view region : regions)
                in_a_name = in_a_name || region.find(run) != std::string_view::npos;
            check(in_a_name);
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
