//! orgpass (placeholder until its issue lands).
