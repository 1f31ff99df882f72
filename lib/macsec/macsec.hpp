#pragma once
// lib/macsec public header: IEEE 802.1AE SecTAG codec, replay window,
// SecY/SC/SA model with protect and verify of frames in place, through
// lib/crypto (ipsec-mb), and the PN reservations of static keys (pn_store,
// storage injected). Pure apart from the crypto: no DPDK, no clock, no I/O.

#include "macsec/pn_store.hpp"
#include "macsec/replay.hpp"
#include "macsec/sectag.hpp"
#include "macsec/secy.hpp"
