#pragma once
// lib/mka: IEEE 802.1X-2020 MACsec Key Agreement, pure but for crypto.
//   - keys.hpp: KDF, ICK/KEK derivation, ICV
//   - mkpdu.hpp: the MKPDU codec and its drop reasons
//   - participant.hpp: one participant per port; on_mkpdu/tick in, actions out
//   - key_chain.hpp: the participants of a chain of CAKs on one port (rollover, fallback)
// Crypto comes in through mka::crypto_provider; ipsecmb_crypto.hpp binds it
// to Intel ipsec-mb.

#include "mka/crypto_provider.hpp"
#include "mka/key_chain.hpp"
#include "mka/keys.hpp"
#include "mka/mkpdu.hpp"
#include "mka/participant.hpp"
#include "mka/types.hpp"
