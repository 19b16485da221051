//! (filled by the nn issue)
