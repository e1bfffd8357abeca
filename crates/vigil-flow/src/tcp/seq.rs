//! TCP sequence number comparisons modulo 2^32 (RFC 1982 style), as
//! Suricata's `SEQ_LT` & co.

/// `a < b` in sequence space.
pub(crate) fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `a <= b` in sequence space.
pub(crate) fn leq(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) <= 0
}

/// `a > b` in sequence space.
pub(crate) fn gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// `a >= b` in sequence space.
pub(crate) fn geq(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps() {
        assert!(gt(5, 0xffff_fff0) && !gt(0xffff_fff0, 5));
        assert!(leq(7, 7) && geq(7, 7) && !gt(7, 7));
        assert!(leq(0xffff_fff0, 5) && geq(5, 0xffff_fff0));
        assert!(gt(2, 1) && !leq(2, 1));
        assert!(lt(0xffff_fff0, 5) && !lt(7, 7));
    }
}
