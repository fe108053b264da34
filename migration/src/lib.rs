//! sea-orm migrations of csms, one `mYYYYMMDD_NNNNNN_<verb>_<noun>` module per change, each with `down()` (arrive with the charger hub).
