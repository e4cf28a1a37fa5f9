//! g
pub(crate) fn register(_r: &mut assay_core::Registry) {}
