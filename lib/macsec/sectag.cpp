#include "macsec/sectag.hpp"

namespace lag::macsec {

sectag_error parse_frame(byte_view f, parsed_frame& out) noexcept {
    const size_t n = f.size();
    if (n < mac_addrs_len + 2)
        return sectag_error::too_short;
    if (load_be16(&f[12]) != macsec_ethertype)
        return sectag_error::not_macsec;
    if (n < mac_addrs_len + sectag_len_no_sci)
        return sectag_error::too_short;
    const uint8_t t = f[14];
    const uint8_t sl = f[15];
    sectag tag;
    tag.es = (t & tci::es) != 0;
    tag.sc = (t & tci::sc) != 0;
    tag.scb = (t & tci::scb) != 0;
    tag.e = (t & tci::e) != 0;
    tag.c = (t & tci::c) != 0;
    tag.an = t & tci::an_mask;
    tag.sl = sl & 0x3F;
    tag.pn = load_be32(&f[16]);
    if (t & tci::v)
        return sectag_error::version;
    if (tag.es && tag.sc)
        return sectag_error::es_and_sc;
    if (tag.scb && tag.sc)
        return sectag_error::scb_and_sc;
    if (tag.e && !tag.c)
        return sectag_error::e_without_c;
    if (sl & 0xC0)
        return sectag_error::reserved_sl_bits;
    if (tag.sc) {
        if (n < mac_addrs_len + sectag_len_sci)
            return sectag_error::no_room_for_sci;
        tag.sci = load_be64(&f[20]);
    }
    const size_t hdr = mac_addrs_len + tag.size();
    if (n < hdr + 1 + icv_len)
        return sectag_error::no_room_for_icv;
    const size_t avail = n - hdr - icv_len;
    size_t secure_len;
    if (tag.sl != 0) {
        if (tag.sl > max_short_length || tag.sl > avail)
            return sectag_error::short_length;
        secure_len = tag.sl; // anything after the ICV is padding
    } else {
        if (avail <= max_short_length)
            return sectag_error::long_without_sl;
        secure_len = avail;
    }
    out.tag = tag;
    out.secure_len = secure_len;
    return sectag_error::none;
}

} // namespace lag::macsec
